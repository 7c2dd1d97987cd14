"""factory_boy factories for users and shares (shares get a real object in the emulator)."""

from datetime import timedelta

import factory
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from sharelinks.models import Share

CONTENT = b"%PDF-1.4 quarterly figures\n"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    first_name = "Ada"
    last_name = factory.Sequence(lambda n: f"Staff{n}")
    is_staff = True
    password = factory.django.Password("correct horse battery staple")


class ShareFactory(factory.django.DjangoModelFactory):
    """A share whose object exists in the emulator with CONTENT (or `body=` bytes)."""

    class Meta:
        model = Share
        skip_postgeneration_save = True

    bucket = factory.LazyFunction(lambda: settings.AWS_STORAGE_BUCKET_NAME)
    key = factory.Sequence(lambda n: f"reports/{n}/figures.pdf")
    filename = "figures.pdf"
    content_type = "application/pdf"
    size = len(CONTENT)
    owner = factory.SubFactory(UserFactory)
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))

    @factory.post_generation
    def body(self, create, extracted, **kwargs):
        """Upload the object; pass body=b"..." for other bytes, body=False for none."""
        if not create or extracted is False:
            return
        from sharelinks import aws

        data = extracted if isinstance(extracted, bytes) else CONTENT
        aws.get_client().put_object(
            Bucket=self.bucket, Key=self.key, Body=data, ContentType=self.content_type
        )
        if len(data) != self.size:
            Share.objects.filter(pk=self.pk).update(size=len(data))
            self.size = len(data)
