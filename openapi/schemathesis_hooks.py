"""Hooks for the schemathesis run in .ci/run (`hooks` in schemathesis.toml).

The OpenAPI document states every rule of a single value that the server
enforces (types, enums, lengths, patterns). A few rules relate two values,
or a value and bytes, which no JSON Schema can state; a real client obeys
them, so generated requests are made to obey them too, here, rather than
accepting the refusals (422) they would earn. Nothing else is changed:
every other part of every request is the fuzzer's.

- An article paragraph's marks lie within its text, nest or lie apart, and
  only links carry an `href` (articles/body.rs).
- `expires_at` is after `embargo_until` (articles/document.rs).
- A byline names someone: a `name`, or a staff `user_id`.
- A tag, a section name without a slug: letters or digits to make a slug of.
- A new password is not the email address and not one repeated character
  (auth/password.rs; the document states the second with `not`).
- An upload's file is of an accepted type by its bytes (the document says
  binary; no schema states what bytes are): a valid upload carries a PDF.
"""

import json
import pathlib

import jsonschema
import schemathesis



def _fix_marks(block):
    text = block.get("text")
    marks = block.get("marks")
    if not isinstance(text, str) or not isinstance(marks, list) or not marks:
        return
    if not text:
        block["text"] = text = "x"
    # Every mark over the whole text: equal ranges nest, so the overlap rule
    # holds; links carry an href, bold and italic none.
    for mark in marks:
        mark["start"] = 0
        mark["end"] = len(text)
        if mark.get("type") == "link":
            if mark.get("href") is None:
                mark["href"] = "https://example.com/"
        else:
            mark["href"] = None


def _has_word(text):
    return isinstance(text, str) and any(c.isascii() and c.isalnum() for c in text)


def _fix_article(body):
    if not isinstance(body, dict):
        return body
    blocks = body.get("body")
    if isinstance(blocks, list):
        for block in blocks:
            if isinstance(block, dict) and block.get("type") == "paragraph":
                _fix_marks(block)
    if body.get("embargo_until") and body.get("expires_at"):
        body["expires_at"] = None
    bylines = body.get("bylines")
    if isinstance(bylines, list):
        for byline in bylines:
            if isinstance(byline, dict) and not byline.get("user_id"):
                name = byline.get("name")
                if not isinstance(name, str) or not name.strip():
                    byline["name"] = "Staff"
    tags = body.get("tags")
    if isinstance(tags, list):
        body["tags"] = [
            t if not isinstance(t, str) or _has_word(t) else t[:57] + " x7" for t in tags
        ]
    return body


def _fix_section(body):
    if isinstance(body, dict) and not body.get("slug"):
        name = body.get("name")
        if isinstance(name, str) and name.strip() and not _has_word(name):
            body["name"] = name[:117] + " x7"
    return body


def _fix_registration(body):
    if isinstance(body, dict):
        password = body.get("password")
        email = body.get("email")
        if isinstance(password, str) and isinstance(email, str) and password.lower() == email.lower():
            body["password"] = (password + "-not-the-email")[:512]
    return body



# The document the server serves (and the repository commits): a body is
# brought in line with the rules above only when it is valid by the
# document, so that the fuzzer's invalid bodies keep every flaw they have.
DOCUMENT = json.loads((pathlib.Path(__file__).parent / "openapi.json").read_text())


def _validator(schema):
    return jsonschema.Draft202012Validator(
        {"$ref": f"#/components/schemas/{schema}", "components": DOCUMENT["components"]}
    )


# A one-page PDF, all ASCII: an accepted upload type (media/sniff.rs reads
# the type from the bytes) that survives the fuzzer's text handling.
PDF = "%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n" \
    "2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"

_METADATA = _validator("MediaMetadata")


class _UploadForm:
    """Valid when the file is there, not empty, and the metadata part valid."""

    @staticmethod
    def is_valid(body):
        if not isinstance(body, dict) or not isinstance(body.get("file"), (bytes, str)):
            return False
        if not body["file"] or set(body) - {"file", "metadata"}:
            return False
        return "metadata" not in body or _METADATA.is_valid(body["metadata"])


def _fix_upload(body):
    body["file"] = PDF
    return body


# What each operation's body must obey, by (method, path).
FIXES = {
    ("POST", "/api/v1/media"): (_UploadForm, _fix_upload),
    ("POST", "/api/v1/articles"): (_validator("ArticleDocument"), _fix_article),
    ("PATCH", "/api/v1/articles/{id}"): (_validator("ArticleDocumentPatch"), _fix_article),
    ("POST", "/api/v1/sections"): (_validator("CreateSectionRequest"), _fix_section),
    ("PATCH", "/api/v1/sections/{id_or_slug}"): (_validator("UpdateSectionRequest"), _fix_section),
    ("POST", "/api/v1/auth/register"): (_validator("RegisterRequest"), _fix_registration),
}


def _fixed(operation, body):
    found = FIXES.get((operation.method.upper(), operation.path))
    if found is None:
        return body
    validator, fix = found
    try:
        valid = validator.is_valid(body)
    except Exception:
        valid = False
    return fix(body) if valid else body


@schemathesis.hook
def map_body(ctx, body):
    """Bodies generated by the fuzzing phase."""
    return _fixed(ctx.operation, body)


@schemathesis.hook
def map_case(ctx, case):
    """Cases of the coverage and stateful phases."""
    case.body = _fixed(case.operation, case.body)
    return case


@schemathesis.hook
def before_add_examples(ctx, examples):
    """Cases of the examples phase (made from the document's examples)."""
    for case in examples:
        case.body = _fixed(case.operation, case.body)

