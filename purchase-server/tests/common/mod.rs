//! Helpers shared by the processor tests: the fake's control interface, users and delegation
//! tokens, and a file-backed fake platform whose consume is idempotent per tracking id (as
//! Xbox's is), so a consume interrupted by a crash can be asked again safely.
#![allow(dead_code)]

pub mod pg;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use modio_market_server::{Config, ConsumeOutcome, ConsumeRequest, Processor, ProcessorConfig, RetryPolicy, S2sClient, S2sConfig, Secret};
use serde_json::{json, Value};

pub const GAME_ID: u64 = 1;
pub const API_KEY: &str = "0123456789abcdef0123456789abcdef";
pub const CLIENT_ID: &str = "7001";
pub const CLIENT_SECRET: &str = "demo-client-secret";
pub const SKU: &str = "GOLD_1000";
pub const AMOUNT: i64 = 1000;

fn http() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder().no_proxy().timeout(Duration::from_secs(20)).build().unwrap()
}

/// `base_url` is `http://127.0.0.1:PORT/v1`; the control interface is beside it.
pub fn control_url(base_url: &str) -> String {
    format!("{}/_control", base_url.trim_end_matches("/v1"))
}

pub fn control(base_url: &str, method: &str, path: &str, body: Value) -> Value {
    let url = format!("{}{}", control_url(base_url), path);
    let r = if method == "GET" { http().get(url) } else { http().post(url).json(&body) };
    let r = r.send().expect("control call");
    assert!(r.status().is_success(), "control {path}: {}", r.status());
    r.json().unwrap_or(Value::Null)
}

/// A fresh user on game 1 with an empty wallet: (id, access token).
pub fn new_user(base_url: &str, name: &str) -> (u64, String) {
    let v = control(base_url, "POST", "/users", json!({"username": name, "game_id": GAME_ID, "balance": 0}));
    (v["id"].as_u64().unwrap(), v["access_token"].as_str().unwrap().to_owned())
}

/// A delegation token, the way the game client gets one for the purchase server.
pub fn delegation(base_url: &str, access_token: &str) -> Secret {
    let r = http()
        .post(format!("{base_url}/me/s2s/oauth/token"))
        .bearer_auth(access_token)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("")
        .send()
        .unwrap();
    assert!(r.status().is_success(), "delegation token: {}", r.status());
    let v: Value = r.json().unwrap();
    Secret::new(v["token"].as_str().unwrap())
}

pub fn wallet(base_url: &str, user: u64) -> (i64, i64) {
    let v = control(base_url, "GET", &format!("/users/{user}?game_id={GAME_ID}"), Value::Null);
    (v["balance"].as_i64().unwrap(), v["deficit"].as_i64().unwrap())
}

/// The fake's S2S transactions of one user.
pub fn transactions_of(base_url: &str, user: u64) -> Vec<Value> {
    control(base_url, "GET", "/transactions", Value::Null)
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["user_id"].as_u64() == Some(user))
        .cloned()
        .collect()
}

/// The processors' S2S client: it reads the studio's history (the fake's team of game 1).
pub fn s2s_client(base_url: &str) -> S2sClient {
    s2s_client_with_team(base_url, fake_modio::monetization_team_id(GAME_ID))
}

/// `team` 0: a client without the history (the processor then cannot look an intent up).
pub fn s2s_client_with_team(base_url: &str, team: u64) -> S2sClient {
    let config =
        Config::new(GAME_ID, API_KEY).base_url(base_url).request_timeout(Duration::from_secs(10)).monetization_team_id(team).retry_policy(
            RetryPolicy {
                max_attempts: 3,
                base_delay: Duration::from_millis(5),
                max_delay: Duration::from_millis(20),
                deadline: Duration::from_secs(5),
            },
        );
    S2sClient::new(S2sConfig::new(config, CLIENT_ID, CLIENT_SECRET)).expect("s2s client")
}

/// A processor over `db`: a SQLite file's path or a `postgresql://` URL.
pub fn processor(base_url: &str, db: &str, instance: &str) -> Processor<std::sync::Arc<dyn modio_market_server::Storage>> {
    let config = ProcessorConfig { instance_id: instance.to_owned(), ..ProcessorConfig::default() };
    Processor::new(s2s_client(base_url), modio_market_server::open_storage(db).expect("database"), config)
}

/// A platform inventory in a JSON file: entitlement id → who consumed it (tracking id) and how
/// many consume calls it saw. Survives the process, like a real platform.
pub struct Platform {
    path: PathBuf,
}

impl Platform {
    pub fn new(path: impl Into<PathBuf>) -> Platform {
        Platform { path: path.into() }
    }

    fn load(&self) -> BTreeMap<String, Value> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap(),
            Err(_) => BTreeMap::new(),
        }
    }

    fn save(&self, map: &BTreeMap<String, Value>) {
        let tmp = self.path.with_extension("tmp");
        std::fs::write(&tmp, serde_json::to_vec(map).unwrap()).unwrap();
        std::fs::rename(&tmp, &self.path).unwrap();
    }

    /// The player owns this entitlement, not consumed.
    pub fn grant(&self, entitlement_id: &str) {
        let mut map = self.load();
        map.insert(entitlement_id.to_owned(), json!({"consumed_by": null, "calls": 0, "interrupted_calls": 0, "consumptions": 0}));
        self.save(&map);
    }

    /// Marks it consumed by someone else (another server, the player's console).
    pub fn consume_elsewhere(&self, entitlement_id: &str) {
        let mut map = self.load();
        map.get_mut(entitlement_id).unwrap()["consumed_by"] = json!("elsewhere");
        self.save(&map);
    }

    /// Consumes, idempotently per tracking id (like Xbox's `trackingId`).
    pub fn consume(&self, req: &ConsumeRequest<'_>) -> ConsumeOutcome {
        let mut map = self.load();
        let Some(slot) = map.get_mut(&req.record.entitlement_id) else {
            return ConsumeOutcome::Failed("the player does not own this entitlement".into());
        };
        slot["calls"] = json!(slot["calls"].as_u64().unwrap() + 1);
        if req.interrupted {
            slot["interrupted_calls"] = json!(slot["interrupted_calls"].as_u64().unwrap() + 1);
        }
        let outcome = match slot["consumed_by"].as_str() {
            None => {
                slot["consumed_by"] = json!(req.tracking_id());
                slot["consumptions"] = json!(slot["consumptions"].as_u64().unwrap() + 1);
                ConsumeOutcome::Consumed
            }
            Some(by) if by == req.tracking_id() => ConsumeOutcome::Consumed,
            Some(_) => ConsumeOutcome::AlreadyConsumed,
        };
        self.save(&map);
        outcome
    }

    pub fn calls(&self, entitlement_id: &str) -> u64 {
        self.load()[entitlement_id]["calls"].as_u64().unwrap()
    }

    pub fn interrupted_calls(&self, entitlement_id: &str) -> u64 {
        self.load()[entitlement_id]["interrupted_calls"].as_u64().unwrap()
    }

    /// How many times the entitlement actually went from owned to consumed.
    pub fn consumptions(&self, entitlement_id: &str) -> u64 {
        self.load()[entitlement_id]["consumptions"].as_u64().unwrap()
    }

    pub fn is_consumed(&self, entitlement_id: &str) -> bool {
        self.load()[entitlement_id]["consumed_by"].is_string()
    }
}
