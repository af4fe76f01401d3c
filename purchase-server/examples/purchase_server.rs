//! A minimal studio purchase server on the mod.io Marketplace, using the crash-safe processor.
//!
//! It answers two HTTP calls:
//! - `POST /purchases` from the game client, with the player's delegation token in the
//!   `X-Modio-Delegation-Token` header and a form body `portal`, `entitlement_id`, `sku`,
//!   `player` (and `order_id` for Apple/Google): converts that platform entitlement into mod.io
//!   virtual currency and answers `{"state", "transaction_id", "reason"}`.
//! - `POST /clawbacks` from the platform's refund notifications: form `portal`, `entitlement_id`,
//!   `kind` (`refund`, `chargeback`, `chargeback_reversal`), `reason`.
//!
//! Configuration (environment): `MODIO_MARKET_BASE_URL`, `MODIO_MARKET_GAME_ID`,
//! `MODIO_MARKET_API_KEY`, `MODIO_S2S_CLIENT_ID`, `MODIO_S2S_CLIENT_SECRET`,
//! `PURCHASE_DB` (a SQLite file, default `purchases.sqlite`, or a `postgresql://` URL for several
//! instances on one database), `PURCHASE_SERVER_INSTANCE`.
//!
//! Run against the fake mod.io (the demo: it starts the fake, serves on a free port, plays a game
//! client buying 1000 Gold through Xbox Live, then relays a refund):
//! ```text
//! cargo run -p modio-market-server --example purchase_server
//! scripts/with-fake cargo run -p modio-market-server --example purchase_server   # against a fake you started
//! cargo run -p modio-market-server --example purchase_server -- --serve 8080     # just serve
//! ```
//! The consume step is the studio's own call to the platform's API; here a stand-in inventory.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use modio_market_server::{
    ClawbackEvent, ClawbackKind, Config, ConsumeOutcome, ConsumeRequest, Entitlement, Outcome, Processor, ProcessorConfig, S2sClient,
    S2sConfig, S2sPortal, Secret, Storage,
};

/// Stand-in for the platform's entitlement API (Xbox Live collections, PSN, Steam inventory...).
/// A real server calls the platform here, passing `request.tracking_id()` where the platform
/// takes an idempotency/tracking id, so a consume interrupted by a crash can be asked again.
#[derive(Default)]
struct PlatformStandIn {
    /// entitlement id → the tracking id that consumed it (None = owned, not consumed).
    owned: Mutex<HashMap<String, Option<String>>>,
}

impl PlatformStandIn {
    fn consume(&self, request: &ConsumeRequest<'_>) -> ConsumeOutcome {
        let mut owned = self.owned.lock().unwrap();
        match owned.get_mut(&request.record.entitlement_id) {
            None => ConsumeOutcome::Failed("the player does not own this entitlement".into()),
            Some(slot @ None) => {
                *slot = Some(request.tracking_id().to_owned());
                ConsumeOutcome::Consumed
            }
            Some(Some(by)) if by == request.tracking_id() => ConsumeOutcome::Consumed,
            Some(Some(_)) => ConsumeOutcome::AlreadyConsumed,
        }
    }
}

struct Server {
    processor: Processor<Arc<dyn Storage>>,
    platform: PlatformStandIn,
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn build_server(base_url: &str, db: &str) -> Result<Server, Box<dyn std::error::Error>> {
    let game_id: u64 = env_or("MODIO_MARKET_GAME_ID", "1").parse()?;
    let config = Config::new(game_id, env_or("MODIO_MARKET_API_KEY", "0123456789abcdef0123456789abcdef")).base_url(base_url);
    // The OAuth client of the game's dashboard; the secret stays on this server.
    let s2s = S2sClient::new(S2sConfig::new(
        config,
        env_or("MODIO_S2S_CLIENT_ID", "7001"),
        Secret::new(env_or("MODIO_S2S_CLIENT_SECRET", "demo-client-secret")),
    ))?;
    // A fixed instance id: after a restart this server takes its own unfinished work back at once.
    let config = ProcessorConfig { instance_id: env_or("PURCHASE_SERVER_INSTANCE", "purchase-server-1"), ..ProcessorConfig::default() };
    let processor = Processor::new(s2s, modio_market_server::open_storage(db)?, config);
    // At start: clawbacks left unsent by a previous run go out now. Unfinished purchases wait for
    // their player's next request (their commit needs a fresh delegation token).
    processor.resume_clawbacks()?;
    let waiting = processor.unfinished()?.len();
    if waiting > 0 {
        eprintln!("purchase-server: {waiting} purchase(s) wait for their player to come back");
    }
    Ok(Server { processor, platform: PlatformStandIn::default() })
}

// --- the two endpoints -----------------------------------------------------------------------

fn purchase(server: &Server, delegation: Option<&str>, form: &HashMap<String, String>) -> (u16, String) {
    let Some(delegation) = delegation.filter(|d| !d.is_empty()) else {
        return (401, r#"{"error":"the X-Modio-Delegation-Token header is required"}"#.into());
    };
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    let portal = match S2sPortal::parse(&field("portal")) {
        Ok(p) => p,
        Err(e) => return (422, json_error(&e.to_string())),
    };
    let mut entitlement = Entitlement::new(portal, field("entitlement_id"), field("sku"), field("player"));
    if let Some(order) = form.get("order_id") {
        entitlement = entitlement.order_id(order.clone());
    }
    // The token is used for this call only: never logged, never stored.
    let token = Secret::new(delegation);
    match server.processor.process(&entitlement, &token, |request| server.platform.consume(request)) {
        Ok(outcome) => {
            let status = match &outcome {
                Outcome::Credited(_) => 200,
                Outcome::NotCredited(_) | Outcome::DuplicateOrder { .. } => 409,
                Outcome::Pending { .. } => 202, // the game client retries later with a fresh token
            };
            let r = outcome.record();
            let body = format!(
                r#"{{"state":"{}","transaction_id":{},"reason":{}}}"#,
                if matches!(outcome, Outcome::DuplicateOrder { .. }) { "duplicate_order" } else { r.step.as_str() },
                r.transaction_id.map_or("null".into(), |t| t.to_string()),
                json_string(r.reason.as_deref()),
            );
            (status, body)
        }
        Err(e) => (422, json_error(&e.to_string())),
    }
}

fn clawback(server: &Server, form: &HashMap<String, String>) -> (u16, String) {
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    let kind = match field("kind").as_str() {
        "refund" => ClawbackKind::Refund,
        "chargeback" => ClawbackKind::Chargeback,
        "chargeback_reversal" => ClawbackKind::ChargebackReversal,
        _ => return (422, json_error("kind must be refund, chargeback or chargeback_reversal")),
    };
    let portal = match S2sPortal::parse(&field("portal")) {
        Ok(p) => p,
        Err(e) => return (422, json_error(&e.to_string())),
    };
    match server.processor.clawback(&ClawbackEvent::new(portal, field("entitlement_id"), kind, field("reason"))) {
        Ok(c) => (200, format!(r#"{{"status":"{}","detail":{}}}"#, c.status.as_str(), json_string(c.detail.as_deref()))),
        Err(e) => (422, json_error(&e.to_string())),
    }
}

// --- a tiny HTTP/1.1 server (one request per connection) --------------------------------------

fn json_string(s: Option<&str>) -> String {
    match s {
        None => "null".into(),
        Some(s) => {
            let escaped: String = s
                .chars()
                .flat_map(|c| match c {
                    '"' => "\\\"".chars().collect::<Vec<_>>(),
                    '\\' => "\\\\".chars().collect(),
                    c if c.is_control() => format!("\\u{:04x}", c as u32).chars().collect(),
                    c => vec![c],
                })
                .collect();
            format!("\"{escaped}\"")
        }
    }
}

fn json_error(message: &str) -> String {
    format!(r#"{{"error":{}}}"#, json_string(Some(message)))
}

fn handle(server: &Server, stream: TcpStream) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or("").to_owned(), parts.next().unwrap_or("").to_owned());
    let (mut length, mut delegation) = (0usize, None);
    loop {
        let mut header = String::new();
        reader.read_line(&mut header)?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => length = value.trim().parse().unwrap_or(0).min(64 * 1024),
                "x-modio-delegation-token" => delegation = Some(value.trim().to_owned()),
                _ => {}
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let (status, answer) = match (method.as_str(), path.as_str()) {
        ("POST", "/purchases") => purchase(server, delegation.as_deref(), &form),
        ("POST", "/clawbacks") => clawback(server, &form),
        _ => (404, json_error("not found")),
    };
    // Log the outcome, never the token.
    eprintln!("purchase-server: {method} {path} -> {status}");
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
        answer.len()
    )
}

fn serve(server: Arc<Server>, listener: TcpListener) {
    for stream in listener.incoming().flatten() {
        let server = Arc::clone(&server);
        std::thread::spawn(move || {
            let _ = handle(&server, stream);
        });
    }
}

// --- the demo: a game client buying currency through this server ------------------------------

/// Plays the game client against the server at `server_url`, with mod.io at `base_url`; returns
/// the player's wallet balance after the purchase and after the refund.
fn demo(base_url: &str, server: &Server, server_url: &str) -> Result<(i64, i64), Box<dyn std::error::Error>> {
    let http = reqwest::blocking::Client::builder().no_proxy().build()?;
    // 1. The game client (signed in as the demo player) asks mod.io for a delegation token.
    let game = modio_market::Client::new(Config::new(1, "0123456789abcdef0123456789abcdef").base_url(base_url))?;
    game.set_access_token(Some(Secret::new("demo-access-token-alice")));
    let slot = Arc::new(Mutex::new(None));
    let s = Arc::clone(&slot);
    let id = game.request_delegation_token(move |r| *s.lock().unwrap() = Some(r))?;
    game.wait(id, Duration::from_secs(20))?;
    let token = slot.lock().unwrap().take().ok_or("no answer")??.token;
    // 2. The player owns an Xbox Live consumable worth 1000 Gold.
    server.platform.owned.lock().unwrap().insert("xbl-demo-1".into(), None);
    // 3. The game client sends the purchase to this server.
    let answer = http
        .post(format!("{server_url}/purchases"))
        .header("X-Modio-Delegation-Token", token.expose())
        .form(&[("portal", "xboxlive"), ("entitlement_id", "xbl-demo-1"), ("sku", "GOLD_1000"), ("player", "alice")])
        .send()?;
    println!("purchase: {} {}", answer.status(), answer.text()?);
    let balance = || -> Result<i64, Box<dyn std::error::Error>> {
        let (tx, rx) = std::sync::mpsc::channel();
        let id = game.get_wallet(move |r: modio_market::Result<modio_market::Wallet>| {
            let _ = tx.send(r.map(|w| w.balance));
        })?;
        game.wait(id, Duration::from_secs(20))?;
        Ok(rx.recv()??)
    };
    let after_purchase = balance()?;
    println!("wallet after the purchase: {after_purchase}");
    // 4. The same notification again (a retry): nothing is converted twice.
    let again = http
        .post(format!("{server_url}/purchases"))
        .header("X-Modio-Delegation-Token", token.expose())
        .form(&[("portal", "xboxlive"), ("entitlement_id", "xbl-demo-1"), ("sku", "GOLD_1000"), ("player", "alice")])
        .send()?;
    println!("same purchase again: {} {}", again.status(), again.text()?);
    // 5. Xbox reports a refund: relayed to mod.io, which takes the Gold back.
    let refund = http
        .post(format!("{server_url}/clawbacks"))
        .form(&[("portal", "xboxlive"), ("entitlement_id", "xbl-demo-1"), ("kind", "refund"), ("reason", "Refund issued")])
        .send()?;
    println!("refund: {} {}", refund.status(), refund.text()?);
    let after_refund = balance()?;
    println!("wallet after the refund: {after_refund}");
    Ok((after_purchase, after_refund))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if let Some(port) = args.iter().position(|a| a == "--serve").and_then(|i| args.get(i + 1)) {
        let base_url = std::env::var("MODIO_MARKET_BASE_URL").map_err(|_| "set MODIO_MARKET_BASE_URL")?;
        let server = Arc::new(build_server(&base_url, &env_or("PURCHASE_DB", "purchases.sqlite"))?);
        let listener = TcpListener::bind(("127.0.0.1", port.parse::<u16>()?))?;
        eprintln!("purchase-server: listening on http://{}", listener.local_addr()?);
        serve(server, listener);
        return Ok(());
    }
    // Demo: against MODIO_MARKET_BASE_URL when set (scripts/with-fake), else an in-process fake.
    let fake = std::env::var("MODIO_MARKET_BASE_URL").is_err().then(fake_modio::FakeServer::start);
    let base_url = match &fake {
        Some(f) => f.base_url(),
        None => std::env::var("MODIO_MARKET_BASE_URL")?,
    };
    // PURCHASE_DB when set (a PostgreSQL URL, say), else a fresh SQLite file for the demo.
    let dir = tempfile::tempdir()?;
    let db = match std::env::var("PURCHASE_DB") {
        Ok(db) => db,
        Err(_) => dir.path().join("purchases.sqlite").to_str().ok_or("path")?.to_owned(),
    };
    let (before, after) = run_demo(&base_url, &db)?;
    if before != 1000 || after != 0 {
        return Err(format!("unexpected balances {before} then {after}").into());
    }
    println!("demo: ok");
    Ok(())
}

fn run_demo(base_url: &str, db: &str) -> Result<(i64, i64), Box<dyn std::error::Error>> {
    let server = Arc::new(build_server(base_url, db)?);
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let server_url = format!("http://{}", listener.local_addr()?);
    let serving = Arc::clone(&server);
    std::thread::spawn(move || serve(serving, listener));
    demo(base_url, &server, &server_url)
}

#[cfg(test)]
mod tests {
    /// The example runs as a test too (`test = true` in Cargo.toml): its demo against a fresh fake.
    #[test]
    fn the_demo_buys_1000_gold_and_the_refund_takes_it_back() {
        let fake = fake_modio::FakeServer::start();
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("purchases.sqlite");
        let (after_purchase, after_refund) = super::run_demo(&fake.base_url(), db.to_str().unwrap()).unwrap();
        assert_eq!((after_purchase, after_refund), (1000, 0));
    }
}
