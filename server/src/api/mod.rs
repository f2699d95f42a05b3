//! The HTTP API under `/api/v1`: one module per area. Handlers parse, authorize, call the
//! service layer, and present the result as JSON; no SQL and no rules here.

mod accounts;
mod attachments;
mod enrol;
mod export;
mod health;
mod messages;
mod metrics;
mod receipts;
mod reports;
mod results;
mod submissions;
mod sync;
mod teams;

use axum::Router;
use axum::extract::{FromRequest, FromRequestParts};
use axum::routing::get;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::service::Service;

/// The API's routes, each registered with its OpenAPI description so the document at
/// `GET /api/v1/openapi.json` lists exactly the routes served; [`crate::http::app`] adds them
/// to the dashboard's.
pub fn router() -> Router<Service> {
    let (router, api) = documented().split_for_parts();
    let document = std::sync::Arc::new(api);
    router.route(
        "/api/v1/openapi.json",
        get(move || {
            let document = document.clone();
            async move { axum::Json(document.as_ref().clone()) }
        }),
    )
}

/// The OpenAPI 3 document of the API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    documented().split_for_parts().1
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "eom-server",
        description = "The eom coordinators' server: observers push checklists and pull forms; coordinators read checklists, figures and exports. Errors are JSON: {error, message, hint, retryable}."
    ),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

/// The error answers of every route that takes a token, documented once (each is the JSON
/// error body).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // Only describes answers for the OpenAPI document.
enum TokenErrors {
    /// The request is not valid; the body says what to do
    #[response(status = 400)]
    BadRequest(eom_shared::ErrorBody),
    /// No valid token
    #[response(status = 401)]
    Unauthorized(eom_shared::ErrorBody),
    /// The token's role may not do this
    #[response(status = 403)]
    Forbidden(eom_shared::ErrorBody),
    /// Unknown, or outside a regional coordinator's region
    #[response(status = 404)]
    NotFound(eom_shared::ErrorBody),
    /// Over the token's budget; see Retry-After
    #[response(status = 429)]
    TooManyRequests(eom_shared::ErrorBody),
}

/// The error answers of the routes open to anyone.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // Only describes answers for the OpenAPI document.
enum PublicErrors {
    /// The request is not valid
    #[response(status = 400)]
    BadRequest(eom_shared::ErrorBody),
    /// Too many attempts from this address
    #[response(status = 429)]
    TooManyRequests(eom_shared::ErrorBody),
}

/// `Authorization: Bearer <token>`.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A token printed by 'eom-server observer add', 'coordinator add' or 'admin add'",
                    ))
                    .build(),
            ),
        );
    }
}

fn documented() -> OpenApiRouter<Service> {
    use utoipa::OpenApi as _;
    let mut doc = ApiDoc::openapi();
    doc.info.version = eom_shared::VERSION.to_owned();
    OpenApiRouter::with_openapi(doc)
        .routes(routes!(health::health))
        .routes(routes!(receipts::key))
        .routes(routes!(enrol::enrol))
        .routes(routes!(accounts::list, accounts::create))
        .routes(routes!(accounts::revoke))
        .routes(routes!(sync::push))
        .routes(routes!(sync::pull))
        .routes(routes!(sync::mine))
        .routes(routes!(submissions::list))
        .routes(routes!(submissions::detail))
        .routes(routes!(submissions::review))
        .routes(routes!(attachments::upload, attachments::download))
        .routes(routes!(reports::summary))
        .routes(routes!(reports::assessments))
        .routes(routes!(reports::access))
        .routes(routes!(reports::findings))
        .routes(routes!(reports::coverage))
        .routes(routes!(reports::timeline))
        .routes(routes!(reports::statement))
        .routes(routes!(reports::protocols))
        .routes(routes!(reports::split))
        .routes(routes!(results::discrepancies))
        .routes(routes!(messages::list, messages::send))
        .routes(routes!(messages::read))
        .routes(routes!(teams::list))
        .routes(routes!(teams::calls, teams::log_call))
        .routes(routes!(teams::new_code))
        .routes(routes!(export::export))
        .routes(routes!(metrics::metrics))
}

/// `axum::Json`, with rejections turned into the API's JSON error body.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

/// A whole request body (after gzip decompression, within the body limit), with rejections
/// turned into the API's JSON error body.
pub struct ApiBytes(pub axum::body::Bytes);

impl<S: Send + Sync> FromRequest<S> for ApiBytes {
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        Ok(Self(axum::body::Bytes::from_request(request, state).await?))
    }
}

/// `axum::extract::Query`, with rejections turned into the API's JSON error body.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);
