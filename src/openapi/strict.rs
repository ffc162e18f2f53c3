//! The rules the server enforces that utoipa's attributes do not state, put
//! into the document so that generated clients and validators refuse what
//! the server refuses: the characters each text field takes, its limits,
//! the enums and patterns of strings checked by hand, and `fields=` as a
//! list of names. Applied to the generated document as JSON.
//!
//! Text rules mirror `validation::checked_text` and friends: lengths count
//! characters as sent, control characters (C0, DEL, C1) are refused but for
//! the line breaks and tabs a field allows, and a required text needs one
//! character that is neither white space nor a control. The classes are
//! spelt out rather than written `\s`, which regex engines disagree on.

use serde_json::{json, Value};

/// Control characters, refused everywhere unless allowed.
const CONTROLS: &str = r"\u0000-\u001F\u007F-\u009F";
/// Controls but line feed.
const CONTROLS_BUT_LF: &str = r"\u0000-\u0009\u000B-\u001F\u007F-\u009F";
/// Controls but tab and line feed.
const CONTROLS_BUT_TAB_LF: &str = r"\u0000-\u0008\u000B-\u001F\u007F-\u009F";
/// Controls but tab, line feed and carriage return (comments normalise line ends).
const CONTROLS_BUT_BREAKS: &str = r"\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F";
/// What a trimmed text may not consist of alone: controls and the Unicode
/// white space Rust's `trim` removes.
const BLANK: &str = r"\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";

/// Which control characters a text field takes.
#[derive(Clone, Copy)]
enum Breaks {
    /// None: one line.
    None,
    /// Line feeds.
    Lines,
    /// Line feeds and tabs.
    LinesTabs,
    /// Line feeds, tabs and carriage returns.
    Comment,
}

impl Breaks {
    fn forbidden(self) -> &'static str {
        match self {
            Self::None => CONTROLS,
            Self::Lines => CONTROLS_BUT_LF,
            Self::LinesTabs => CONTROLS_BUT_TAB_LF,
            Self::Comment => CONTROLS_BUT_BREAKS,
        }
    }
}

fn text_pattern(breaks: Breaks, required: bool) -> String {
    let forbidden = breaks.forbidden();
    if required {
        format!("^[^{forbidden}]*[^{BLANK}][^{forbidden}]*$")
    } else {
        format!("^[^{forbidden}]*$")
    }
}

/// A text field: where it is, its limit, its line breaks, and whether it
/// must hold something besides white space.
struct Text {
    /// `Schema.property`, `Schema.property[]` for the items of a list, or
    /// `Schema#variant.property` for a variant of a tagged union.
    at: &'static str,
    max: u64,
    breaks: Breaks,
    required: bool,
}

const fn text(at: &'static str, max: u64, breaks: Breaks, required: bool) -> Text {
    Text {
        at,
        max,
        breaks,
        required,
    }
}

use Breaks::{Comment, Lines, LinesTabs, None as OneLine};

/// Every text field of a request body that the server checks.
const TEXTS: &[Text] = &[
    // articles/document.rs
    text("ArticleDocument.headline", 300, Lines, true),
    text("ArticleDocument.subheadline", 500, Lines, false),
    text("ArticleDocument.kicker", 100, Lines, false),
    text("ArticleDocument.summary", 2000, Lines, false),
    text("ArticleDocument.dateline", 100, Lines, false),
    text("ArticleDocument.source", 200, Lines, false),
    text("ArticleDocument.tags[]", 60, OneLine, true),
    text("Seo.title", 300, Lines, false),
    text("Seo.description", 1000, Lines, false),
    text("MainMediaInput.caption", 5000, Lines, false),
    text("MainMediaInput.credit", 500, Lines, false),
    text("BylineInput.name", 200, Lines, false),
    text("BylineInput.role", 100, Lines, false),
    // articles/body.rs
    text("Block#paragraph.text", 20_000, Lines, false),
    text("Block#heading.text", 20_000, Lines, true),
    text("Block#quote.text", 20_000, Lines, true),
    text("Block#list.items[]", 20_000, Lines, false),
    text("Block#html.html", 20_000, Comment, false),
    // articles/service.rs (corrections)
    text("CorrectionRequest.text", 2000, Lines, true),
    // media/dto.rs
    text("MediaMetadata.title", 300, OneLine, false),
    text("MediaMetadata.alt_text", 1000, OneLine, false),
    text("MediaMetadata.caption", 5000, LinesTabs, false),
    text("MediaMetadata.credit_line", 500, OneLine, false),
    text("MediaMetadata.ed_note", 5000, LinesTabs, false),
    text("MediaMetadata.keywords[]", 100, OneLine, false),
    text("Credit.provider", 300, OneLine, false),
    text("Credit.source", 1000, OneLine, false),
    text("Credit.copyright_holder", 300, OneLine, false),
    text("Credit.copyright_notice", 300, OneLine, false),
    text("Credit.license", 300, OneLine, false),
    text("Credit.usage_terms", 1000, LinesTabs, false),
    text("Credit.creators[]", 200, OneLine, false),
    // sections/service.rs
    text("CreateSectionRequest.name", 120, OneLine, true),
    text("UpdateSectionRequest.name", 120, OneLine, true),
    // comments/service.rs
    text("NewComment.body", 5000, Comment, true),
    text("CommentPatch.body", 5000, Comment, true),
    text("FlagRequest.reason", 500, OneLine, true),
    text("ModerationRequest.reason", 500, Lines, false),
    // users and auth
    text("RegisterRequest.display_name", 100, OneLine, true),
    text("UpdateUserRequest.display_name", 100, OneLine, true),
    // webhooks/service.rs
    text("CreateWebhookRequest.description", 500, OneLine, false),
    text("UpdateWebhookRequest.description", 500, OneLine, false),
];

/// Other constraints of single properties, merged into their schemas.
fn constraints() -> Vec<(&'static str, Value)> {
    let embed_hosts = crate::articles::body::EMBED_HOSTS
        .iter()
        .map(|h| h.replace('.', r"\."))
        .collect::<Vec<_>>()
        .join("|");
    // What a webhook URL may not name, as the server refuses it when saved
    // (unless it allows private addresses): this machine by name, and IPv4
    // literals of loopback, private and link-local networks. Resolved names
    // are checked again at every delivery, which no schema can state.
    let octet = "[0-9]{1,3}";
    let ipv4_private = format!(
        "(127|10|0)(\\.{octet}){{3}}|192\\.168(\\.{octet}){{2}}|169\\.254(\\.{octet}){{2}}|172\\.(1[6-9]|2[0-9]|3[01])(\\.{octet}){{2}}"
    );
    let refused_host = json!({"not": {"type": "string", "pattern": format!(
        "^[Hh][Tt][Tt][Pp][Ss]?://([^/?#@]*@)?(([^/?#:@]*\\.)?[Ll][Oo][Cc][Aa][Ll][Hh][Oo][Ss][Tt]\\.?|{ipv4_private})([:/?#]|$)"
    )}});
    vec![
        ("CreateWebhookRequest.url", refused_host.clone()),
        ("UpdateWebhookRequest.url", refused_host),
        (
            "ArticleDocument.locale",
            json!({"pattern": "^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$", "maxLength": 35}),
        ),
        (
            "ArticleDocument.slug",
            json!({"pattern": "^[a-z0-9]+(-[a-z0-9]+)*$", "maxLength": crate::slug::MAX_SLUG_LEN}),
        ),
        ("ArticleDocument.tags", json!({"maxItems": 20})),
        ("ArticleDocument.bylines", json!({"maxItems": 20})),
        ("ArticleDocument.related", json!({"maxItems": 10})),
        ("ArticleDocument.body", json!({"maxItems": 1000})),
        (
            // Leading white space is trimmed before the scheme is checked.
            "Seo.canonical_url",
            json!({
                "maxLength": 2000,
                "pattern": format!(r"^[\n\u0020\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*https?://[^{CONTROLS_BUT_LF}]*$"),
            }),
        ),
        ("Mark.type", json!({"enum": ["bold", "italic", "link"]})),
        (
            // Trimmed before the scheme is checked; no space or control.
            "Mark.href",
            json!({"pattern": r"^[\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*(?:[Hh][Tt][Tt][Pp][Ss]?://|[Mm][Aa][Ii][Ll][Tt][Oo]:)[^\u0000-\u0020\u007F-\u009F]*$"}),
        ),
        ("Block#heading.level", json!({"minimum": 2, "maximum": 4})),
        (
            "Block#list.style",
            json!({"enum": ["ordered", "unordered"]}),
        ),
        ("Block#list.items", json!({"minItems": 1})),
        (
            "Block#embed.url",
            // The host ends at the first `/`, `?` or `#`; no space or control.
            json!({
                "pattern": format!("^https://({embed_hosts})([/?#][^\\u0000-\\u0020\\u007F-\\u009F]*)?$"),
                "maxLength": crate::articles::body::MAX_URL,
            }),
        ),
        (
            "CorrectionRequest.kind",
            json!({"enum": ["correction", "clarification", "update"]}),
        ),
        ("MediaMetadata.keywords", json!({"maxItems": 50})),
        ("Credit.creators", json!({"maxItems": 20})),
        (
            // The one rule of a password a schema can state beyond its
            // length; a well-known password or the email is refused too.
            "RegisterRequest.password",
            json!({
                "maxLength": crate::auth::password::MAX_PASSWORD_CHARS,
                "pattern": r"^[^\u0000]*$",
                "not": {"pattern": r"^([\s\S])\1*$"},
            }),
        ),
    ]
}

/// Finds the schema of `at` (see [`Text::at`]) in the components.
fn locate<'a>(schemas: &'a mut Value, at: &str) -> Option<&'a mut Value> {
    let (owner, property) = at.split_once('.')?;
    let (property, items) = match property.strip_suffix("[]") {
        Some(p) => (p, true),
        None => (property, false),
    };
    let schema = match owner.split_once('#') {
        Some((name, variant)) => schemas
            .get_mut(name)?
            .get_mut("oneOf")?
            .as_array_mut()?
            .iter_mut()
            .find(|v| v["properties"]["type"]["enum"][0] == variant)?,
        None => schemas.get_mut(owner)?,
    };
    let found = schema.get_mut("properties")?.get_mut(property)?;
    if items {
        found.get_mut("items")
    } else {
        Some(found)
    }
}

fn merge(target: &mut Value, extra: &Value) {
    if let (Some(target), Some(extra)) = (target.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            target.insert(k.clone(), v.clone());
        }
    }
}

/// Whether `schema` is a string that states nothing of its characters.
fn open_string(schema: &Value) -> bool {
    let is_string = match &schema["type"] {
        Value::String(t) => t == "string",
        Value::Array(ts) => ts.iter().any(|t| t == "string"),
        _ => false,
    };
    is_string
        && schema.get("pattern").is_none()
        && schema.get("enum").is_none()
        && schema.get("format").is_none()
        && schema.get("not").is_none()
}

/// NUL is refused in every string the server reads (PostgreSQL cannot store
/// it, and the URL middleware refuses `%00`): said on every string that
/// states nothing else of its characters.
fn refuse_nul(schema: &mut Value) {
    if open_string(schema) {
        merge(schema, &json!({"pattern": r"^[^\u0000]*$"}));
    }
    match schema {
        Value::Object(map) => map.values_mut().for_each(refuse_nul),
        Value::Array(items) => items.iter_mut().for_each(refuse_nul),
        _ => {}
    }
}

/// Applies every rule above to the document.
pub fn tighten(doc: &mut Value) {
    let schemas = &mut doc["components"]["schemas"];
    for t in TEXTS {
        let Some(schema) = locate(schemas, t.at) else {
            panic!("openapi::strict: no property {} in the document", t.at);
        };
        let mut rule = json!({"maxLength": t.max, "pattern": text_pattern(t.breaks, t.required)});
        if t.required {
            rule["minLength"] = json!(1);
        }
        merge(schema, &rule);
    }
    for (at, extra) in constraints() {
        let Some(schema) = locate(schemas, at) else {
            panic!("openapi::strict: no property {at} in the document");
        };
        merge(schema, &extra);
    }
    // Blocks take no fields but their own (serde's deny_unknown_fields).
    if let Some(variants) = doc["components"]["schemas"]["Block"]["oneOf"].as_array_mut() {
        for variant in variants {
            variant["additionalProperties"] = json!(false);
        }
    }
    // An upload form has its two parts and no others, and a file of bytes.
    merge(
        &mut doc["components"]["schemas"]["UploadForm"],
        &json!({"additionalProperties": false}),
    );
    merge(
        &mut doc["components"]["schemas"]["UploadForm"]["properties"]["file"],
        &json!({"minLength": 1}),
    );
    // The metadata part is a JSON object, or left out.
    doc["components"]["schemas"]["UploadForm"]["properties"]["metadata"] = json!({
        "$ref": "#/components/schemas/MediaMetadata",
        "description": "Optional metadata as a JSON document. Credit embedded in a JPEG (IPTC, XMP, EXIF) fills what this leaves out.",
    });
    // Publishing takes no body (now) or `{"at": …}`.
    let publish = &mut doc["paths"]["/api/v1/articles/{id}/publish"]["post"]["requestBody"];
    publish["required"] = json!(false);
    publish["content"]["application/json"]["schema"] =
        json!({"$ref": "#/components/schemas/PublishRequest"});
    // What names other resources may name one that does not exist (404).
    for (path, method) in [("/api/v1/articles", "post"), ("/api/v1/sections", "post")] {
        doc["paths"][path][method]["responses"]["404"] =
            json!({"$ref": "#/components/responses/NotFound"});
    }
    // Valid values that the current state of others does not allow (409).
    for (path, method) in [
        ("/api/v1/articles", "post"),
        ("/api/v1/articles/{id}", "patch"),
        ("/api/v1/sections/{id_or_slug}", "patch"),
        ("/api/v1/users/{id}", "patch"),
        ("/api/v1/media/{id}", "patch"),
    ] {
        let responses = &mut doc["paths"][path][method]["responses"];
        if responses.get("409").is_none() {
            responses["409"] = json!({
                "description": "Valid, but not possible in the current state: `errors` names the fields",
                "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
            });
        }
    }
    partial_articles(doc);
    merge_patches(doc);
    // Refuse NUL in the request bodies' strings and in parameters.
    for name in request_schemas(doc) {
        refuse_nul(&mut doc["components"]["schemas"][name.as_str()]);
    }
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for op in item.values_mut() {
            let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) else {
                continue;
            };
            for param in params {
                parameter(path, param);
            }
        }
    }
}

/// One parameter: never `null` (a header or query string cannot hold JSON
/// null), the article `fields` as a list of names, a `ratio` as the
/// renditions take it, and no NUL.
fn parameter(path: &str, param: &mut Value) {
    let name = param["name"].as_str().unwrap_or_default().to_string();
    if let Some(types) = param["schema"]["type"].as_array() {
        let kept: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
        param["schema"]["type"] = if kept.len() == 1 {
            kept[0].clone()
        } else {
            Value::Array(kept)
        };
    }
    if name == "fields" && path.starts_with("/api/v1/articles") {
        param["schema"] = json!({
            "type": "array",
            "items": {"type": "string", "enum": crate::articles::present::FIELDS},
            "minItems": 1,
        });
        param["style"] = json!("form");
        param["explode"] = json!(false);
    }
    if name == "ratio" {
        param["schema"]["pattern"] = json!("^([1-9][0-9]?|100):([1-9][0-9]?|100)$");
    }
    refuse_nul(&mut param["schema"]);
}

/// The components that request bodies use, directly or inside others.
fn request_schemas(doc: &Value) -> Vec<String> {
    fn refs(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    if let Some(name) = r.strip_prefix("#/components/schemas/") {
                        out.push(name.to_string());
                    }
                }
                map.values().for_each(|v| refs(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    if let Some(paths) = doc["paths"].as_object() {
        for item in paths.values() {
            if let Some(item) = item.as_object() {
                for op in item.values() {
                    refs(&op["requestBody"], &mut found);
                }
            }
        }
    }
    let mut i = 0;
    while i < found.len() {
        let mut more = Vec::new();
        refs(&doc["components"]["schemas"][found[i].as_str()], &mut more);
        for name in more {
            if !found.contains(&name) {
                found.push(name);
            }
        }
        i += 1;
    }
    found
}

/// With `fields=`, an article (or each article of a list) has only the named
/// fields: its 200 schema is the full one or the same with nothing required.
fn partial_articles(doc: &mut Value) {
    fn partial(doc: &mut Value, name: &str) -> String {
        let partial = format!("{name}Fields");
        let mut schema = doc["components"]["schemas"][name].clone();
        if let Some(map) = schema.as_object_mut() {
            map.remove("required");
            map.remove("example");
            map.insert(
                "description".into(),
                json!(format!("`{name}` with only the fields named by `fields=`")),
            );
        }
        doc["components"]["schemas"][partial.as_str()] = schema;
        partial
    }
    let ops: Vec<(String, String)> = doc["paths"]
        .as_object()
        .map(|paths| {
            paths
                .iter()
                .filter(|(_, item)| {
                    item["get"]["parameters"]
                        .as_array()
                        .is_some_and(|ps| ps.iter().any(|p| p["name"] == "fields"))
                })
                .filter_map(|(path, item)| {
                    let r = item["get"]["responses"]["200"]["content"]["application/json"]
                        ["schema"]["$ref"]
                        .as_str()?;
                    Some((
                        path.clone(),
                        r.trim_start_matches("#/components/schemas/").to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    for (path, name) in ops {
        let item_ref = doc["components"]["schemas"][name.as_str()]["properties"]["data"]["items"]
            ["$ref"]
            .as_str()
            .map(|r| r.trim_start_matches("#/components/schemas/").to_string());
        let fields = match item_ref {
            // A list: the same list of partial items.
            Some(item) => {
                let item_fields = partial(doc, &item);
                let list = format!("{name}Fields");
                let mut schema = doc["components"]["schemas"][name.as_str()].clone();
                schema["properties"]["data"]["items"]["$ref"] =
                    json!(format!("#/components/schemas/{item_fields}"));
                if let Some(map) = schema.as_object_mut() {
                    map.remove("example");
                }
                doc["components"]["schemas"][list.as_str()] = schema;
                list
            }
            None => partial(doc, &name),
        };
        doc["paths"][path.as_str()]["get"]["responses"]["200"]["content"]["application/json"]
            ["schema"] = json!({"anyOf": [
            {"$ref": format!("#/components/schemas/{name}")},
            {"$ref": format!("#/components/schemas/{fields}")},
        ]});
    }
}

/// The schemas of JSON Merge Patch bodies (RFC 7396) that share their shape
/// with a create: in a patch every property may be left out (the stored
/// value stays), and an optional one may be `null` (it goes back to its
/// default); a nested object is itself a merge patch. A required property
/// stays non-null: removing it would leave the document invalid.
fn merge_patches(doc: &mut Value) {
    const SHARED: &[(&str, &str, &str)] = &[
        ("/api/v1/articles/{id}", "patch", "ArticleDocument"),
        ("/api/v1/media/{id}", "patch", "MediaMetadata"),
    ];
    // (A nested object left incomplete by a patch, where the stored one
    // lacks what the patch leaves out, is a 409: `http::json::parse_merged`.)
    /// Objects merged into, not replaced, inside those documents.
    const NESTED: &[&str] = &["Seo", "Credit", "MainMediaInput", "FocalPoint"];
    for name in SHARED
        .iter()
        .map(|(_, _, n)| *n)
        .chain(NESTED.iter().copied())
    {
        let mut schema = doc["components"]["schemas"][name].clone();
        let required: Vec<Value> = schema["required"].as_array().cloned().unwrap_or_default();
        if let Some(map) = schema.as_object_mut() {
            map.remove("required");
            map.remove("example");
            map.insert(
                "description".into(),
                json!(format!(
                    "A JSON Merge Patch of `{name}`: what is left out stays, `null` resets an optional field"
                )),
            );
        }
        if let Some(props) = schema["properties"].as_object_mut() {
            for (key, prop) in props.iter_mut() {
                let nested = prop["$ref"]
                    .as_str()
                    .map(|r| r.trim_start_matches("#/components/schemas/").to_string())
                    .or_else(|| {
                        prop["oneOf"][0]["$ref"]
                            .as_str()
                            .map(|r| r.trim_start_matches("#/components/schemas/").to_string())
                    })
                    .filter(|n| NESTED.contains(&n.as_str()));
                if let Some(n) = nested {
                    *prop = json!({"oneOf": [
                        {"$ref": format!("#/components/schemas/{n}Patch")},
                        {"type": "null"},
                    ]});
                    continue;
                }
                if required.iter().any(|r| r == key.as_str()) {
                    continue;
                }
                nullable(prop);
            }
        }
        doc["components"]["schemas"][format!("{name}Patch").as_str()] = schema;
    }
    for (path, method, name) in SHARED {
        if let Some(content) =
            doc["paths"][*path][*method]["requestBody"]["content"].as_object_mut()
        {
            for media in content.values_mut() {
                media["schema"] = json!({"$ref": format!("#/components/schemas/{name}Patch")});
            }
        }
    }
}

/// Lets a property be `null` as well.
fn nullable(prop: &mut Value) {
    // (Indexing a missing key would insert `"type": null`.)
    let kind = prop.get("type").cloned().unwrap_or(Value::Null);
    match kind {
        Value::String(t) => prop["type"] = json!([t, "null"]),
        Value::Array(mut ts) => {
            if !ts.iter().any(|t| t == "null") {
                ts.push(json!("null"));
                prop["type"] = Value::Array(ts);
            }
        }
        _ => {
            let already = prop["oneOf"]
                .as_array()
                .is_some_and(|v| v.iter().any(|s| s["type"] == "null"));
            if !already {
                let inner = prop.clone();
                *prop = json!({"oneOf": [inner, {"type": "null"}]});
            }
        }
    }
}
