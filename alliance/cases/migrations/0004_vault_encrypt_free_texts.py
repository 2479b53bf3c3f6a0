# Encrypt at rest the free texts that describe a pupil's situation (decision 0016).

import uuid

import django.core.validators
from django.db import migrations, models

import alliance.vault.fields
from alliance.vault.migration_ops import encrypt_existing_rows


def give_rows_a_public_id(model_name):
    """Each existing row gets its own random public id (the encryption binds to it)."""

    def forwards(apps, schema_editor):
        model = apps.get_model("cases", model_name)
        for pk in model.objects.filter(public_id__isnull=True).values_list("pk", flat=True):
            model.objects.filter(pk=pk).update(public_id=uuid.uuid4())

    return forwards


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0003_vault_encrypted_note_body"),
        ("vault", "0001_initial"),
    ]

    operations = [
        # CaseSign had no public id; the associated data of its ciphertext needs one.
        migrations.AddField(
            model_name="casesign",
            name="public_id",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.RunPython(give_rows_a_public_id("CaseSign"), migrations.RunPython.noop),
        migrations.AlterField(
            model_name="casesign",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
        # CaseEvent had no public id; the associated data of its ciphertext needs one.
        migrations.AddField(
            model_name="caseevent",
            name="public_id",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.RunPython(give_rows_a_public_id("CaseEvent"), migrations.RunPython.noop),
        migrations.AlterField(
            model_name="caseevent",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
        migrations.AlterField(
            model_name="case",
            name="closing_note",
            field=alliance.vault.fields.EncryptedTextField(
                blank=True,
                validators=[django.core.validators.MaxLengthValidator(2000)],
                verbose_name="closing note",
            ),
        ),
        migrations.AlterField(
            model_name="case",
            name="reason",
            field=alliance.vault.fields.EncryptedTextField(
                validators=[django.core.validators.MaxLengthValidator(2000)],
                verbose_name="reason for the referral",
            ),
        ),
        migrations.AlterField(
            model_name="casereferral",
            name="reason",
            field=alliance.vault.fields.EncryptedTextField(
                validators=[django.core.validators.MaxLengthValidator(2000)],
                verbose_name="reason",
            ),
        ),
        migrations.AlterField(
            model_name="casesign",
            name="free_text",
            field=alliance.vault.fields.EncryptedTextField(
                blank=True,
                validators=[django.core.validators.MaxLengthValidator(200)],
                verbose_name="sign (free text)",
            ),
        ),
        migrations.AlterField(
            model_name="caseevent",
            name="detail",
            field=alliance.vault.fields.EncryptedTextField(
                blank=True, validators=[django.core.validators.MaxLengthValidator(2000)]
            ),
        ),
        migrations.AlterField(
            model_name="familycontact",
            name="outcome",
            field=alliance.vault.fields.EncryptedTextField(
                blank=True,
                validators=[django.core.validators.MaxLengthValidator(2000)],
                verbose_name="outcome",
            ),
        ),
        migrations.AlterField(
            model_name="familycontactexception",
            name="reason",
            field=alliance.vault.fields.EncryptedTextField(
                validators=[django.core.validators.MaxLengthValidator(2000)],
                verbose_name="reason",
            ),
        ),
        # Texts written before encryption at rest: sealed under their school's key.
        migrations.RunPython(
            encrypt_existing_rows("cases", "Case", "reason"), migrations.RunPython.noop
        ),
        migrations.RunPython(
            encrypt_existing_rows("cases", "Case", "closing_note"), migrations.RunPython.noop
        ),
        migrations.RunPython(
            encrypt_existing_rows("cases", "CaseReferral", "reason"), migrations.RunPython.noop
        ),
        migrations.RunPython(
            encrypt_existing_rows("cases", "CaseSign", "free_text"), migrations.RunPython.noop
        ),
        migrations.RunPython(
            encrypt_existing_rows("cases", "FamilyContact", "outcome"), migrations.RunPython.noop
        ),
        migrations.RunPython(
            encrypt_existing_rows("cases", "CaseEvent", "detail"), migrations.RunPython.noop
        ),
        migrations.RunPython(
            encrypt_existing_rows("cases", "FamilyContactException", "reason"),
            migrations.RunPython.noop,
        ),
    ]
