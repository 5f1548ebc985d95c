//! `zoom-licenses revoke`: revokes the stored access token at Zoom (`POST /oauth/revoke`), which
//! also deauthorizes the app, and deletes the token file.

use extractor::Credentials;
use extractor::auth::token_store::StoredToken;

use crate::accounts;
use crate::cli::RevokeArgs;
use crate::config::connection;
use run::exit::{self, Failure};

/// Runs `revoke`.
pub async fn run(args: RevokeArgs) -> Result<(), Failure> {
    let entry = accounts::selected(&args.connect.config, &args.connect.account)?;
    let connection = connection(&args.connect, None, entry.as_ref())?;
    let Credentials::AuthorizationCode { app, token_file } = &connection.credentials else {
        return Err(Failure::usage(
            "revoke is for the token file of `zoom-licenses auth`; a Server-to-Server app's tokens \
             expire by themselves (deactivate the app in the Zoom App Marketplace to stop it)",
        ));
    };
    let stored = StoredToken::load(token_file).map_err(Failure::usage)?;
    let url = connection
        .oauth_url
        .join("oauth/revoke")
        .map_err(Failure::failed_msg)?;
    // The Basic header sent below, registered first: an answer may echo it.
    extractor::auth::secret::register_basic(&app.client_id, &app.client_secret);
    let response = super::auth::oauth_http()?
        .post(url)
        .basic_auth(&app.client_id, Some(app.client_secret.expose()))
        .form(&[("token", stored.access_token.expose())])
        .send()
        .await
        .map_err(|e| Failure {
            code: exit::TEMPORARY,
            error: anyhow::anyhow!(
                "cannot reach Zoom to revoke the token: {}",
                extractor::network::describe(&e)
            ),
        })?;
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    let already_dead = status.is_client_error() && body.contains("Invalid Token");
    if !status.is_success() && !already_dead {
        let message =
            extractor::auth::token::explain_token_error(status.as_u16(), &body, &app.names);
        return Err(Failure {
            code: if status.is_server_error() {
                exit::TEMPORARY
            } else {
                exit::USAGE
            },
            error: anyhow::anyhow!("Zoom did not revoke the token: {message}"),
        });
    }
    std::fs::remove_file(token_file)
        .map_err(|e| Failure::failed_msg(format!("cannot delete {}: {e}", token_file.display())))?;
    let mut lock = token_file.as_os_str().to_owned();
    lock.push(".lock");
    let _ = std::fs::remove_file(lock);
    let done = match already_dead {
        true => "the stored token was already invalid at Zoom; deleted",
        false => "revoked the token at Zoom (the app is deauthorized) and deleted",
    };
    note!("zoom-licenses: {done} {}", token_file.display());
    Ok(())
}
