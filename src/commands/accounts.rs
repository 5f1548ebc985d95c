//! `zoom-licenses accounts --sub-accounts`: a master account's sub accounts as one line of JSON on
//! stdout (id, name, whether its users can be read), for a scheduler to map one extract task over
//! each (`extract --sub-account ID`).

use std::io::Write;

use extractor::ZoomClient;
use run::exit::Failure;

use crate::accounts;
use crate::cli::AccountsArgs;
use crate::config::{client_config, connection};

/// Runs `accounts`; the listing is printed only once every sub account has been probed.
pub async fn run(args: AccountsArgs) -> Result<(), Failure> {
    let entry = accounts::selected(&args.connect.config, &args.connect.account)?;
    let connection = connection(&args.connect, args.requests.max_rps, entry.as_ref())?;
    let config = client_config(&connection, &args.requests)?;
    let client = ZoomClient::new(config).map_err(Failure::failed_msg)?;
    let listed = run::accounts::sub_accounts_listed(&client).await?;
    let unreadable = listed.iter().filter(|s| !s.users_readable).count();
    tracing::info!(
        message = "Sub accounts listed.",
        count = listed.len(),
        unreadable
    );
    let line = serde_json::to_string(&listed).map_err(Failure::failed_msg)?;
    match writeln!(std::io::stdout(), "{line}") {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Failure::failed_msg(format!(
            "the sub accounts could not be printed on stdout ({e})"
        ))),
        _ => Ok(()),
    }
}
