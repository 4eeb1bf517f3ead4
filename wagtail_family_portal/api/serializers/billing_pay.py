"""The body and the answer of ``POST invoices/pay/``: the invoices to pay online, and where to
send the family's browser to pay them."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .fields import IdListField


class PayBodySerializer(serializers.Serializer):
    invoice_ids = IdListField(
        help_text=_("The invoices to pay, all of one family and one régie."),
    )

    def validate_invoice_ids(self, value):
        if not value:
            raise serializers.ValidationError(_("Choose at least one invoice to pay."))
        return value


class PayAnswerSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text=_("The online payment."))
    payment_url = serializers.CharField(
        help_text=_("Where to send the family's browser: the payment service's page.")
    )
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    state = serializers.CharField()
