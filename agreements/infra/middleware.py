from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ChosenLanguageMiddleware(LocaleMiddleware):
    """German unless the user chose English with the language switch.

    Django's LocaleMiddleware would follow the browser's Accept-Language; on an administration's intranet the
    working language is German whatever the browser was installed with, so only an explicit choice (the
    language cookie set by the switch in the navigation) changes it.
    """

    def process_request(self, request):
        code = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if code not in dict(settings.LANGUAGES):
            code = settings.LANGUAGE_CODE
        translation.activate(code)
        request.LANGUAGE_CODE = translation.get_language()
