"""`__in` on integer columns with values the column cannot hold.

Django (5.2) answers `filter(pk=10**30)` with an empty result on every database (IntegerFieldOverflow on the
comparison lookups), but not `filter(pk__in=[10**30])`: on SQLite the driver raises OverflowError and the page
answers 500 (PostgreSQL casts and finds nothing). Every ModelMultipleChoiceField filters with `pk__in`, so a posted
id of 26 digits reached users as a server error. Values outside the column's range can match no row: drop them, as
the comparison lookups do, and the forms answer with their ordinary "not a valid choice" error.
"""

from django.core.exceptions import EmptyResultSet
from django.db.models import IntegerField
from django.db.models.lookups import In


@IntegerField.register_lookup
class IntegerFieldIn(In):
    def process_rhs(self, compiler, connection):
        if self.rhs_is_direct_value():
            low, high = connection.ops.integer_field_range(self.lhs.output_field.get_internal_type())
            values = [
                value for value in self.rhs
                if not isinstance(value, int) or ((low is None or value >= low) and (high is None or value <= high))
            ]
            if not values:
                raise EmptyResultSet
            self.rhs = values
        return super().process_rhs(compiler, connection)
