"""Children's photos: accepted by content only, re-encoded clean, stored where no URL reaches."""

import os
from io import BytesIO
from pathlib import Path
from unittest import mock

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.db.migrations.writer import MigrationWriter
from django.http import Http404
from django.utils import translation
from PIL import Image

from wagtail_family_portal import images
from wagtail_family_portal.images import clean_child_photo
from wagtail_family_portal.storage import (
    PrivateFileSystemStorage,
    photo_response,
    private_storage,
)

NOT_AN_IMAGE = "This file is not a JPEG, PNG or WebP image."

ORIENTATION = 0x0112
GPS_IFD = 0x8825


def encode(image, fmt, **options):
    buffer = BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def upload(data, name="photo.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def clean(data, name="photo.jpg"):
    """Clean an upload with messages in English (tests otherwise run in French)."""
    with translation.override("en"):
        return clean_child_photo(upload(data, name))


def refusal(data, name="photo.jpg"):
    with translation.override("en"):
        with pytest.raises(ValidationError) as raised:
            clean_child_photo(upload(data, name))
        return raised.value.code, raised.value.messages


def reopen(photo):
    image = Image.open(BytesIO(photo.read()))
    image.load()
    return image


def exif_with_gps_and_orientation(orientation):
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "PhoneMaker"  # camera make
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)})
    return exif


@pytest.mark.parametrize(
    ("fmt", "mode", "size"),
    [("JPEG", "RGB", (1600, 1200)), ("PNG", "RGB", (900, 2000)), ("WEBP", "RGB", (1000, 1000))],
)
def test_each_accepted_format_becomes_a_jpeg_within_800_pixels_keeping_its_ratio(fmt, mode, size):
    data = encode(Image.new(mode, size, (200, 30, 30)), fmt)

    photo = clean(data, name=f"enfant.{fmt.lower()}")

    result = reopen(photo)
    assert result.format == "JPEG"
    assert max(result.size) == 800
    assert abs(result.size[0] / result.size[1] - size[0] / size[1]) < 0.01
    assert result.mode == "RGB"


def test_the_stored_name_is_random_never_the_uploaded_one():
    data = encode(Image.new("RGB", (50, 50)), "PNG")

    first = clean(data, name="dupont-lea-2019.png")
    second = clean(data, name="dupont-lea-2019.png")

    for photo in (first, second):
        stem, extension = os.path.splitext(photo.name)
        assert extension == ".jpg"
        assert len(stem) == 32 and int(stem, 16) >= 0
    assert first.name != second.name
    assert isinstance(first, ContentFile)


def test_a_transparent_png_is_flattened_on_white():
    image = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    image.paste((0, 0, 255, 255), (0, 0, 50, 100))
    data = encode(image, "PNG")

    result = reopen(clean(data, name="photo.png"))

    assert result.mode == "RGB"
    r, g, b = result.getpixel((90, 50))
    assert min(r, g, b) > 245  # transparent area: white, not black
    r, g, b = result.getpixel((10, 50))
    assert b > 200 and r < 40 and g < 40


def test_a_palette_png_with_a_transparent_colour_is_flattened_on_white():
    image = Image.new("P", (40, 40), 0)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * (254 * 3))
    image.paste(1, (0, 0, 20, 40))
    data = encode(image, "PNG", transparency=0)

    result = reopen(clean(data, name="photo.png"))

    assert min(result.getpixel((35, 20))) > 245
    assert result.getpixel((5, 20))[0] > 200


def test_a_small_photo_is_not_enlarged():
    data = encode(Image.new("RGB", (120, 90), "green"), "JPEG")

    assert reopen(clean(data)).size == (120, 90)


def test_the_exif_orientation_is_applied_then_all_metadata_is_removed():
    # Stored landscape with "rotate 90° clockwise to display" (orientation 6): shown portrait.
    image = Image.new("RGB", (400, 200), "white")
    image.paste((255, 0, 0), (0, 0, 100, 200))  # red on the stored image's left edge
    data = encode(image, "JPEG", exif=exif_with_gps_and_orientation(6), comment=b"Lea, 12 rue X")
    assert Image.open(BytesIO(data)).getexif().get_ifd(GPS_IFD)  # the input does carry GPS

    result = reopen(clean(data))

    assert result.size == (200, 400)
    red, green, _ = result.getpixel((100, 20))  # the left edge is now at the top
    assert red > 200 and green < 60
    assert "exif" not in result.info
    assert "comment" not in result.info
    assert "icc_profile" not in result.info
    assert dict(result.getexif()) == {}
    assert b"PhoneMaker" not in clean(data).read()


def test_gps_data_is_removed_from_webp_and_png_too():
    exif = exif_with_gps_and_orientation(1)
    for fmt in ("WEBP", "PNG"):
        data = encode(Image.new("RGB", (60, 60)), fmt, exif=exif)
        assert Image.open(BytesIO(data)).getexif().get_ifd(GPS_IFD)

        output = clean(data, name=f"photo.{fmt.lower()}").read()

        assert Image.open(BytesIO(output)).getexif().get_ifd(GPS_IFD) == {}
        assert b"PhoneMaker" not in output


def minimal_pdf():
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )


def truncated_jpeg():
    data = encode(Image.effect_noise((400, 400), 60).convert("RGB"), "JPEG")
    return data[: len(data) // 2]


@pytest.mark.parametrize(
    ("data", "name"),
    [
        pytest.param(minimal_pdf(), "photo.jpg", id="pdf renamed .jpg"),
        pytest.param(encode(Image.new("RGB", (40, 40)), "GIF"), "photo.gif", id="gif"),
        pytest.param(encode(Image.new("RGB", (40, 40)), "BMP"), "photo.png", id="bmp"),
        pytest.param(encode(Image.new("RGB", (40, 40)), "TIFF"), "photo.jpg", id="tiff"),
        pytest.param(
            b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
            b"<script>alert(1)</script></svg>",
            "photo.svg",
            id="svg",
        ),
        pytest.param(os.urandom(4096), "photo.jpg", id="random bytes"),
        pytest.param(b"", "photo.jpg", id="empty file"),
        pytest.param(truncated_jpeg(), "photo.jpg", id="truncated jpeg"),
        pytest.param(b"\xff\xd8\xff\xe0" + os.urandom(2000), "photo.jpg", id="jpeg magic + junk"),
    ],
)
def test_anything_but_a_whole_jpeg_png_or_webp_is_refused(data, name):
    assert refusal(data, name) == ("not_an_image", [NOT_AN_IMAGE])


def test_a_file_over_5_mb_is_refused_before_anything_is_decoded():
    data = b"\xff\xd8" + b"\0" * (5 * 1024 * 1024 - 1)
    assert len(data) == 5 * 1024 * 1024 + 1

    with mock.patch.object(images.Image, "open", wraps=Image.open) as image_open:
        code, messages = refusal(data)

    assert code == "too_large"
    assert messages == ["The photo is too large (5.0\xa0MB); the maximum is 5\xa0MB."]
    image_open.assert_not_called()


def test_the_declared_size_refuses_the_file_without_reading_it():
    uploaded = mock.Mock(size=9 * 1024 * 1024)
    uploaded.read.side_effect = AssertionError("the file must not be read")

    with translation.override("en"):
        with pytest.raises(ValidationError) as raised:
            clean_child_photo(uploaded)
        messages = raised.value.messages

    assert messages == ["The photo is too large (9.0\xa0MB); the maximum is 5\xa0MB."]
    uploaded.read.assert_not_called()


def test_a_file_object_without_size_is_read_no_further_than_the_limit(settings):
    settings.WAGTAIL_FAMILY_PORTAL_MAX_PHOTO_BYTES = 1000
    stream = BytesIO(encode(Image.effect_noise((300, 300), 80).convert("RGB"), "PNG"))

    with pytest.raises(ValidationError) as raised:
        clean_child_photo(stream)

    assert raised.value.code == "too_large"
    assert stream.tell() == 1001


def test_exactly_5_mb_is_not_refused_for_its_size():
    data = b"\0" * (5 * 1024 * 1024)  # not an image: refused later, by content

    assert refusal(data)[0] == "not_an_image"


def test_the_size_limit_follows_the_setting(settings):
    data = encode(Image.effect_noise((200, 200), 80).convert("RGB"), "PNG")
    assert len(data) > 2048
    settings.WAGTAIL_FAMILY_PORTAL_MAX_PHOTO_BYTES = 2048

    code, messages = refusal(data, "photo.png")

    assert code == "too_large"
    assert messages[0].endswith("the maximum is 2.0\xa0KB.")

    settings.WAGTAIL_FAMILY_PORTAL_MAX_PHOTO_BYTES = 10 * 1024 * 1024
    big = b"\0" * (6 * 1024 * 1024)
    assert refusal(big)[0] == "not_an_image"  # 6 MB now passes the size check


def test_a_huge_image_in_a_small_file_is_refused_without_being_decoded():
    data = encode(Image.new("1", (20000, 20000)), "PNG")
    assert len(data) < 100 * 1024

    code, messages = refusal(data, "photo.png")

    assert code == "too_many_pixels"
    assert messages == ["The image's dimensions are too large; the maximum is 40 megapixels."]


def test_an_image_over_40_megapixels_is_refused_even_below_pillows_own_limit():
    assert 7000 * 7000 < Image.MAX_IMAGE_PIXELS
    data = encode(Image.new("1", (7000, 7000)), "PNG")

    with mock.patch.object(Image.Image, "load", autospec=True) as load:
        assert refusal(data, "photo.png")[0] == "too_many_pixels"

    load.assert_not_called()


def test_an_image_of_just_40_megapixels_is_accepted():
    data = encode(Image.new("L", (8000, 5000), 128), "PNG")

    assert reopen(clean(data, "photo.png")).size == (800, 500)


# Private storage


@pytest.fixture
def private_dirs(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.MEDIA_URL = "/media/"
    return tmp_path


def test_private_storage_has_no_url_even_though_media_url_is_set(private_dirs):
    storage = private_storage()

    assert storage.base_url is None
    name = storage.save("children/photo.jpg", ContentFile(b"jpeg"))
    with pytest.raises(ValueError):
        storage.url(name)


def test_private_storage_saves_beside_media_root_not_inside_it(private_dirs):
    storage = private_storage()

    name = storage.save("children/photo.jpg", ContentFile(b"jpeg"))

    stored = Path(storage.path(name))
    assert stored.read_bytes() == b"jpeg"
    assert stored.is_relative_to(private_dirs / "media-private")
    assert not stored.is_relative_to(private_dirs / "media")


def test_private_root_setting_chooses_the_directory(settings, private_dirs):
    settings.WAGTAIL_FAMILY_PORTAL_PRIVATE_ROOT = str(private_dirs / "vault")

    name = private_storage().save("a.jpg", ContentFile(b"x"))

    assert (private_dirs / "vault" / name).read_bytes() == b"x"


def test_an_existing_storage_follows_a_changed_private_root(settings, private_dirs):
    storage = private_storage()
    assert Path(storage.location) == private_dirs / "media-private"
    settings.WAGTAIL_FAMILY_PORTAL_PRIVATE_ROOT = str(private_dirs / "elsewhere")

    assert Path(storage.location) == private_dirs / "elsewhere"


def test_a_private_root_inside_media_root_is_refused(settings, private_dirs):
    settings.WAGTAIL_FAMILY_PORTAL_PRIVATE_ROOT = str(private_dirs / "media" / "private")

    with pytest.raises(ImproperlyConfigured):
        private_storage().save("a.jpg", ContentFile(b"x"))
    assert not (private_dirs / "media").exists()


def test_private_storage_can_name_a_configured_storage(settings, private_dirs):
    settings.STORAGES = {
        **settings.STORAGES,
        "family_portal_private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(private_dirs / "bucket"), "base_url": "/never/"},
        },
    }
    settings.WAGTAIL_FAMILY_PORTAL_PRIVATE_STORAGE = "family_portal_private"

    storage = private_storage()

    assert not isinstance(storage, PrivateFileSystemStorage)
    assert Path(storage.location) == private_dirs / "bucket"


def test_a_field_using_private_storage_is_written_to_migrations_as_the_function():
    field = models.ImageField(upload_to="family_portal/children/", storage=private_storage)

    assert isinstance(field.storage, PrivateFileSystemStorage)
    _, _, _, kwargs = field.deconstruct()
    assert kwargs["storage"] is private_storage
    serialised, imports = MigrationWriter.serialize(field)
    assert "storage=wagtail_family_portal.storage.private_storage" in serialised
    assert "import wagtail_family_portal.storage" in imports


def test_the_private_storage_itself_deconstructs():
    path, args, kwargs = PrivateFileSystemStorage().deconstruct()

    assert path == "wagtail_family_portal.storage.PrivateFileSystemStorage"
    assert (args, kwargs) == ((), {})


# Streaming a photo


class FieldFile:
    """Just enough of a FieldFile: a name in a storage."""

    def __init__(self, storage, name):
        self.storage, self.name = storage, name

    def __bool__(self):
        return bool(self.name)


def test_photo_response_streams_the_photo_privately(private_dirs):
    storage = private_storage()
    photo = clean(encode(Image.new("RGB", (50, 50)), "PNG"), "enfant.png")
    name = storage.save(f"children/{photo.name}", photo)

    response = photo_response(FieldFile(storage, name))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert {"private", "no-store"} <= set(response["Cache-Control"].split(", "))
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == "inline"
    body = b"".join(response.streaming_content)
    response.file_to_stream.close()
    assert Image.open(BytesIO(body)).format == "JPEG"


def test_photo_response_for_a_real_model_field(private_dirs, db):
    from tests.factories import ChildFactory

    child = ChildFactory()
    child.photo.save("x.jpg", ContentFile(encode(Image.new("RGB", (10, 10)), "JPEG")), save=False)

    response = photo_response(child.photo)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    response.file_to_stream.close()


@pytest.mark.parametrize("name", ["", None])
def test_photo_response_is_404_for_an_empty_field(private_dirs, name):
    with pytest.raises(Http404):
        photo_response(FieldFile(private_storage(), name))


def test_photo_response_is_404_when_the_file_is_gone(private_dirs):
    with pytest.raises(Http404):
        photo_response(FieldFile(private_storage(), "children/vanished.jpg"))
