//! The OpenAPI 3.1 document. Paths come from the handlers as they are
//! registered (utoipa-actix-web), so the documented path is the served path;
//! the error responses every operation can give are added here by rule, so
//! no handler can forget one.

mod strict;

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use actix_web::App;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as OpenApiDoc, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

use crate::error::{FieldError, Problem, PROBLEM_JSON};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "newsdesk",
        description = "The content API of a newsroom: articles, credited media, sections and \
reader comments.\n\nConventions: errors are RFC 9457 `application/problem+json` with a \
`request_id`; every response carries `X-Request-Id`. Lists are `{\"data\": [...], \"meta\": \
{\"next_cursor\", \"limit\"}}` with keyset pagination (`limit` 1-100, `cursor`). Writes take \
`If-Match: \"<version>\"` and answer 412 when it is stale. Log in at `POST /api/v1/auth/login`, \
then press Authorize and paste the `access_token`.",
        license(name = "MIT", identifier = "MIT"),
    ),
    servers((url = "/", description = "This server")),
    tags(
        (name = "auth", description = "Accounts, login and tokens"),
        (name = "users", description = "User administration (admin)"),
        (name = "sections", description = "Sections of the site"),
        (name = "media", description = "Photos, video, audio and documents with their credits"),
        (name = "articles", description = "Articles: writing, workflow, revisions and delivery"),
        (name = "distribution", description = "Feeds for readers and aggregators: RSS 2.0, Atom 1.0 and JSON Feed 1.1, linking to the articles' public URLs"),
        (name = "comments", description = "Reader comments: threads, flags and moderation"),
        (name = "events", description = "The change feed: every change, in order, to sync from"),
        (name = "webhooks", description = "Signed deliveries of every event to your endpoints (admin)"),
        (name = "operations", description = "Health checks for load balancers and orchestrators, metrics for monitoring"),
    ),
    components(schemas(Problem, FieldError)),
    modifiers(&SecurityAddon)
)]
struct ApiDoc;

struct SecurityAddon;

impl Modify for SecurityAddon {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("An `access_token` from `POST /api/v1/auth/login`"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "metrics_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The operator's `NEWSDESK_METRICS_TOKEN`"))
                    .build(),
            ),
        );
    }
}

/// The reusable error responses: (component name, status, description).
const ERROR_RESPONSES: &[(&str, &str, &str)] = &[
    (
        "BadRequest",
        "400",
        "Malformed JSON, query string or parameter",
    ),
    (
        "Unauthorized",
        "401",
        "No bearer token, or one that is invalid, expired or of a disabled user",
    ),
    ("Forbidden", "403", "The caller's role does not allow this"),
    ("NotFound", "404", "No such resource"),
    ("PayloadTooLarge", "413", "The body is too large"),
    ("UnsupportedMediaType", "415", "The body is not JSON"),
    (
        "ValidationFailed",
        "422",
        "The values are not acceptable; `errors` names the fields",
    ),
    (
        "InternalError",
        "500",
        "An unexpected error; the body holds only the request id",
    ),
    (
        "ServiceUnavailable",
        "503",
        "The database cannot be reached",
    ),
];

/// The whole document, as served at `/openapi.json` and committed as
/// `openapi/openapi.json`.
pub fn api_doc() -> OpenApiDoc {
    let (_, mut doc) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::routes::routes)
        .split_for_parts();
    document_errors(&mut doc);
    add_links(&mut doc);
    add_webhooks(&mut doc);
    doc
}

/// The document as served and committed: [`api_doc`] with the rules that
/// utoipa's attributes cannot state applied to it as JSON.
pub fn api_doc_value() -> serde_json::Value {
    let mut json = serde_json::to_value(api_doc()).unwrap_or_default();
    strict::tighten(&mut json);
    json
}

/// The `webhooks` of the document: what newsdesk sends to a registered
/// endpoint, one operation and one payload schema per event type, with the
/// Standard Webhooks headers.
fn add_webhooks(doc: &mut OpenApiDoc) {
    use utoipa::openapi::path::{
        HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem,
    };
    use utoipa::openapi::request_body::RequestBodyBuilder;
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
    use utoipa::openapi::{PathsBuilder, Required};
    use utoipa::{PartialSchema, ToSchema};

    use crate::events::kind::EventKind;
    use crate::webhooks::deliver::{MessageData, PING};

    let components = doc.components.get_or_insert_with(Default::default);
    components
        .schemas
        .insert(MessageData::name().into_owned(), MessageData::schema());
    let header = |name: &str, pattern: &str, description: &str| {
        ParameterBuilder::new()
            .name(name)
            .parameter_in(ParameterIn::Header)
            .required(Required::True)
            .description(Some(description))
            .schema(Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(pattern)),
            ))
            .build()
    };
    let mut kinds: Vec<(&str, &str)> = EventKind::ALL
        .iter()
        .map(|k| (k.as_str(), k.description()))
        .collect();
    kinds.push((
        PING,
        "A test delivery, sent by `POST /api/v1/webhooks/{id}/ping`.",
    ));
    let mut paths = PathsBuilder::new();
    for (kind, description) in kinds {
        let name: String = kind
            .split(['.', '_'])
            .map(|w| {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_uppercase().chain(c).collect::<String>())
                    .unwrap_or_default()
            })
            .collect::<String>()
            + "Webhook";
        let schema = ObjectBuilder::new()
            .description(Some(format!(
                "The body of a `{kind}` delivery: {description}"
            )))
            .property(
                "type",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some([kind])),
            )
            .required("type")
            .property(
                "timestamp",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
                    .description(Some("When the event happened (RFC 3339, UTC)")),
            )
            .required("timestamp")
            .property("data", Ref::from_schema_name(MessageData::name()))
            .required("data")
            .build();
        components.schemas.insert(name.clone(), schema.into());
        let operation = OperationBuilder::new()
            .tag("webhooks")
            // No bearer token: the signature is the receiver's proof.
            .securities(Some([SecurityRequirement::default()]))
            .operation_id(Some(format!("webhook_{}", kind.replace('.', "_"))))
            .summary(Some(format!("`{kind}`")))
            .description(Some(format!(
                "{description}\n\nSent as a POST to every enabled endpoint that subscribes to \
                 `{kind}`, signed by the Standard Webhooks specification: verify \
                 `webhook-signature` against `{{webhook-id}}.{{webhook-timestamp}}.{{body}}` with \
                 the endpoint's secret, and drop a `webhook-id` already handled (a delivery \
                 comes at least once)."
            )))
            .parameter(header(
                "webhook-id",
                "^[0-9a-f-]{36}$",
                "The delivery's id: the same on every attempt, for the receiver's dedupe",
            ))
            .parameter(header(
                "webhook-timestamp",
                "^[0-9]+$",
                "Seconds since the Unix epoch when the attempt was made; refuse old ones",
            ))
            .parameter(header(
                "webhook-signature",
                "^v1,[A-Za-z0-9+/]+={0,2}( v1,[A-Za-z0-9+/]+={0,2})*$",
                "`v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` with the secret's key; \
                 two, space-separated, for a day after the secret is rotated",
            ))
            .request_body(Some(
                RequestBodyBuilder::new()
                    .required(Some(Required::True))
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name(name)))
                            .build(),
                    )
                    .build(),
            ))
            .response(
                "200",
                ResponseBuilder::new().description(
                    "Received: any 2xx counts. Anything else, a timeout (10 s by default) or a \
                     refused connection is retried after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and \
                     10 h; redirects are not followed.",
                ),
            )
            .response(
                "410",
                ResponseBuilder::new()
                    .description("Gone: the endpoint is disabled and gets no more deliveries."),
            )
            .build();
        paths = paths.path(kind, PathItem::new(HttpMethod::Post, operation));
    }
    doc.webhooks = Some(paths.build());
}

/// OpenAPI links: how a response's ids feed other operations. Clients and
/// tools (Swagger UI, schemathesis's stateful tests) follow them from a list
/// of published articles to its discussion, and from a new comment to the
/// operations on it.
fn add_links(doc: &mut OpenApiDoc) {
    use utoipa::openapi::link::LinkBuilder;
    /// (path, method, status, [(link name, target operation id)]).
    type Links<'a> = (&'a str, &'a str, &'a str, &'a [(&'a str, &'a str)]);
    let links: &[Links] = &[
        (
            "/api/v1/articles",
            "get",
            "200",
            &[
                ("ReadTheFirstArticlesComments", "list_comments"),
                ("CommentOnTheFirstArticle", "post_comment"),
            ],
        ),
        (
            "/api/v1/articles/{id}/comments",
            "post",
            "201",
            &[
                ("ReadTheComment", "get_comment"),
                ("EditTheComment", "update_comment"),
                ("FlagTheComment", "flag_comment"),
                ("ModerateTheComment", "moderate"),
                ("ReadItsModerationLog", "moderation_log"),
                ("DeleteTheComment", "delete_comment"),
            ],
        ),
    ];
    for (path, method, status, targets) in links {
        let Some(item) = doc.paths.paths.get_mut(*path) else {
            continue;
        };
        let op = match *method {
            "get" => item.get.as_mut(),
            _ => item.post.as_mut(),
        };
        let Some(RefOr::T(response)) = op.and_then(|op| op.responses.responses.get_mut(*status))
        else {
            continue;
        };
        let source = if *status == "200" {
            "$response.body#/data/0/id"
        } else {
            "$response.body#/id"
        };
        for (name, operation_id) in targets.iter() {
            response.links.insert(
                (*name).to_string(),
                RefOr::T(
                    LinkBuilder::new()
                        .operation_id(*operation_id)
                        .parameter("id", source)
                        .build(),
                ),
            );
        }
    }
}

fn document_errors(doc: &mut OpenApiDoc) {
    let components = doc.components.get_or_insert_with(Default::default);
    for (name, _, description) in ERROR_RESPONSES {
        let response = ResponseBuilder::new()
            .description(*description)
            .content(
                PROBLEM_JSON,
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build();
        components
            .responses
            .insert((*name).to_string(), RefOr::T(response));
    }
    for (path, item) in doc.paths.paths.iter_mut() {
        let has_path_params = path.contains('{');
        let operations = [
            item.get.as_mut(),
            item.post.as_mut(),
            item.put.as_mut(),
            item.patch.as_mut(),
            item.delete.as_mut(),
        ];
        for op in operations.into_iter().flatten() {
            let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
            if !secured {
                // Say so explicitly: an empty requirement means anonymous access.
                op.security = Some(vec![SecurityRequirement::default()]);
            }
            let has_query = op.parameters.as_ref().is_some_and(|p| !p.is_empty());
            let has_body = op.request_body.is_some();
            let mut wanted = vec!["InternalError"];
            if has_query || has_body || has_path_params {
                wanted.push("BadRequest");
            }
            // The metrics have a token of their own and no roles; they
            // answer without the database.
            let metrics = path == "/metrics";
            if secured && !metrics {
                wanted.extend(["Unauthorized", "Forbidden"]);
            }
            if has_path_params {
                wanted.push("NotFound");
            }
            if has_body {
                wanted.extend([
                    "PayloadTooLarge",
                    "UnsupportedMediaType",
                    "ValidationFailed",
                ]);
            }
            if path != "/healthz" && !metrics {
                wanted.push("ServiceUnavailable");
            }
            for name in wanted {
                let Some((_, status, _)) = ERROR_RESPONSES.iter().find(|(n, _, _)| *n == name)
                else {
                    continue;
                };
                op.responses
                    .responses
                    .entry((*status).to_string())
                    .or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
            }
        }
    }
}

/// The fields of a JSON Merge Patch body (`ArticleDocumentPatch`…), each
/// with the patch schema of its value where that is merged in turn (`seo`:
/// `SeoPatch`). Read from the document once, so that the server refuses
/// exactly the fields its schema refuses, `null` ones too.
pub fn patch_fields(schema: &str) -> Option<&'static BTreeMap<String, Option<String>>> {
    static FIELDS: OnceLock<HashMap<String, BTreeMap<String, Option<String>>>> = OnceLock::new();
    FIELDS
        .get_or_init(|| {
            let doc = api_doc_value();
            let Some(schemas) = doc["components"]["schemas"].as_object() else {
                return HashMap::new();
            };
            schemas
                .iter()
                .filter(|(name, _)| name.ends_with("Patch"))
                .map(|(name, schema)| {
                    let fields = schema["properties"]
                        .as_object()
                        .into_iter()
                        .flatten()
                        .map(|(field, prop)| {
                            let nested = prop["$ref"]
                                .as_str()
                                .or_else(|| prop["oneOf"][0]["$ref"].as_str())
                                .map(|r| r.trim_start_matches("#/components/schemas/"))
                                .filter(|n| n.ends_with("Patch"))
                                .map(str::to_string);
                            (field.clone(), nested)
                        })
                        .collect();
                    (name.clone(), fields)
                })
                .collect()
        })
        .get(schema)
}

/// The document as pretty JSON with a trailing newline, the committed form.
pub fn api_doc_json() -> String {
    let mut json = serde_json::to_string_pretty(&api_doc_value()).unwrap_or_default();
    json.push('\n');
    json
}
