"""Abstract bases shared by the domain apps."""

import uuid

from django.db import models


class PublicIdModel(models.Model):
    """A model addressed from outside (URLs, exports) only by a random public UUID.

    The integer primary key never leaves the server: it would leak counts and order.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        abstract = True


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
