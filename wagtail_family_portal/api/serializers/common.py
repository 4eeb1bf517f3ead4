"""Bodies every part of the API answers with: errors, messages, a town's summary."""

from rest_framework import serializers

from ...models import Municipality


class ErrorSerializer(serializers.Serializer):
    """The body of an error that concerns the whole request (documentation only)."""

    detail = serializers.CharField()


class DetailSerializer(serializers.Serializer):
    """A message for the person, in the request's language (documentation only)."""

    detail = serializers.CharField()


class MunicipalitySummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Municipality
        fields = ["id", "name"]
