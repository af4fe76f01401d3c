//! The fake's whole world, behind one `Mutex` per server. Every route runs with the lock
//! held, so two concurrent checkouts with one idempotency key are serialized exactly as
//! the real service promises; only fault delays and slow writes happen outside it.
//!
//! Fields are public so Rust tests can seed and inspect directly (`server.state()`).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::faults::{Fault, FaultRule};
use crate::md5::md5_hex;

/// Idempotency keys live this long on the fake clock (both guides: 24 hours).
pub const IDEMPOTENCY_TTL_SECS: i64 = 24 * 60 * 60;
/// Default access-token lifetime: a common year (`restapi-introduction.md`; `date_expires` may
/// shorten it, and one out of range is ignored).
pub const ACCESS_TOKEN_TTL_SECS: i64 = 365 * 24 * 60 * 60;
/// Service tokens: `expires_in` is "2592000" in the S2S guide.
pub const SERVICE_TOKEN_TTL_SECS: i64 = 2_592_000;
/// User delegation tokens are "short-lived"; the reference gives no number.
pub const DELEGATION_TOKEN_TTL_SECS: i64 = 3_600;

/// The portals whose entitlements can be synced (`/me/iap/{portal}/sync`).
pub const SYNC_PORTALS: [&str; 6] = ["steam", "xboxlive", "psn", "meta", "apple", "google"];
/// The portals the S2S transaction endpoints accept.
pub const S2S_PORTALS: [&str; 5] = ["apple", "google", "xboxlive", "psn", "steam"];

#[derive(Debug, Clone)]
pub struct Game {
    pub id: u64,
    pub name: String,
    pub name_id: String,
    pub api_key: String,
    /// Marketplace enabled: when false, wallets and checkout answer 404 / 900022, sync and S2S
    /// 403 / 900057.
    pub monetized: bool,
    /// Portals with an In-App Purchase configuration; sync answers 900054 for others.
    pub iap_portals: BTreeSet<String>,
    pub api_access_options: u32,
    pub token_name: String,
    pub skus: Vec<SkuMapping>,
    /// Per-platform mod files enabled: listings hold only the mods live on the request's
    /// `X-Modio-Platform` (`restapi-platforms.md`).
    pub platform_filtering: bool,
}

/// A platform SKU mapped to a token pack: syncing or committing it credits `amount`.
#[derive(Debug, Clone)]
pub struct SkuMapping {
    pub portal: String,
    pub sku: String,
    pub amount: i64,
    pub token_pack_id: u64,
    pub token_pack_name: String,
    /// The pack's price in USD cents, as the token-pack object shows it.
    pub price: i64,
}

/// Platform identities. A user is "linked" to a portal when it has a credential there.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    pub steam_ticket: Option<String>,
    pub xbox_token: Option<String>,
    pub psn_auth_code: Option<String>,
    pub meta: Option<MetaCredential>,
    pub apple_id_token: Option<String>,
    pub google_auth_code: Option<String>,
    pub epic_id_token: Option<String>,
}

#[derive(Debug, Clone)]
pub struct MetaCredential {
    pub user_id: String,
    pub device: String,
    pub nonce: String,
    pub access_token: String,
}

impl Credentials {
    /// Is the user linked to this portal (sync/S2S portal names)?
    pub fn linked(&self, portal: &str) -> bool {
        match portal {
            "steam" => self.steam_ticket.is_some(),
            "xboxlive" => self.xbox_token.is_some(),
            "psn" => self.psn_auth_code.is_some(),
            "meta" => self.meta.is_some(),
            "apple" => self.apple_id_token.is_some(),
            "google" => self.google_auth_code.is_some(),
            "epicgames" => self.epic_id_token.is_some(),
            _ => false,
        }
    }
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: u64,
    pub username: String,
    /// The game the user was created for: the default of control calls.
    pub game_id: u64,
    pub terms_agreed: bool,
    pub credentials: Credentials,
    /// Platform inventory: portal → SKU → count, consumed by sync.
    pub entitlements: BTreeMap<String, BTreeMap<String, u32>>,
    pub purchases: Vec<Purchase>,
    /// When set, every sync answers 900096 (the platform could not be reached).
    pub platform_fetch_fails: bool,
    pub date_joined: i64,
}

#[derive(Debug, Clone)]
pub struct Purchase {
    pub mod_id: u64,
    pub game_id: u64,
    pub transaction_id: u64,
    pub date: i64,
}

#[derive(Debug, Clone)]
pub struct Wallet {
    pub balance: i64,
    /// What the user owes after a clawback found the balance short.
    pub deficit: i64,
    pub payment_method_id: String,
}

#[derive(Debug, Clone)]
pub struct AccessToken {
    pub user_id: u64,
    /// The game whose api_key authenticated the user (the `g-{id}` host in production).
    pub game_id: u64,
    pub expires_at: i64,
}

#[derive(Debug, Clone)]
pub struct Mod {
    pub id: u64,
    pub game_id: u64,
    pub name: String,
    pub name_id: String,
    pub summary: String,
    pub description: String,
    /// 0 = free.
    pub price: i64,
    pub tags: Vec<String>,
    pub metadata_kvp: Vec<(String, String)>,
    pub submitted_by: String,
    pub date_added: i64,
    pub date_updated: i64,
    pub modfile_id: u64,
    pub version: String,
    pub filename: String,
    pub filesize: u64,
    pub downloads_total: u64,
    pub subscribers_total: u64,
    pub ratings_positive: u64,
    pub ratings_negative: u64,
    /// The platforms the mod is live on (`X-Modio-Platform` values); empty: every platform.
    pub platforms: Vec<String>,
    /// Earlier files (modfile id, version, archive), still readable through the modfile
    /// endpoint and downloadable.
    pub previous_files: Vec<(u64, String, Archive)>,
    /// Archive entries a test set instead of the generated ones.
    pub custom_archive: Option<Vec<ArchiveEntry>>,
    pub archive_cache: std::sync::OnceLock<Archive>,
}

/// One entry of a mod's archive, as a test sets it (`POST /_control/mods/{id}/archive`): a
/// file, or a symlink to `target`. Names are written as given, `../` and absolute ones
/// included: that is what an installer must refuse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveEntry {
    pub name: String,
    pub data: Vec<u8>,
    pub symlink_target: Option<String>,
}

/// A mod's archive, built once: the zip's bytes, their MD5 and the uncompressed size.
#[derive(Debug, Clone)]
pub struct Archive {
    pub bytes: Vec<u8>,
    pub md5: String,
    pub uncompressed: u64,
}

impl Mod {
    /// The entries of the archive behind `modfile.download.binary_url`: the test's own, or a
    /// `modinfo.txt` and `content/data.bin` of deterministic bytes (`filesize` of them), so
    /// `filehash.md5` is the real hash of a real zip.
    pub fn archive_entries(&self) -> Vec<ArchiveEntry> {
        if let Some(entries) = &self.custom_archive {
            return entries.clone();
        }
        let line = format!(
            "fake-modio archive for mod {} ({}) version {}\n",
            self.id, self.name_id, self.version
        );
        vec![
            ArchiveEntry {
                name: "modinfo.txt".into(),
                data: format!("name={}\nversion={}\n", self.name, self.version).into_bytes(),
                symlink_target: None,
            },
            ArchiveEntry {
                name: "content/data.bin".into(),
                data: line.bytes().cycle().take(self.filesize as usize).collect(),
                symlink_target: None,
            },
        ]
    }

    /// The archive (built on first use and kept until the mod's file changes).
    pub fn archive(&self) -> &Archive {
        self.archive_cache.get_or_init(|| {
            let entries = self.archive_entries();
            let bytes = build_zip(&entries);
            Archive {
                md5: md5_hex(&bytes),
                uncompressed: entries.iter().map(|e| e.data.len() as u64).sum(),
                bytes,
            }
        })
    }

    pub fn file_content(&self) -> Vec<u8> {
        self.archive().bytes.clone()
    }

    pub fn md5(&self) -> String {
        self.archive().md5.clone()
    }

    /// The version and archive of file `modfile_id`, current or earlier.
    pub fn file(&self, modfile_id: u64) -> Option<(&str, &Archive)> {
        if modfile_id == self.modfile_id {
            return Some((self.version.as_str(), self.archive()));
        }
        self.previous_files
            .iter()
            .find(|(id, _, _)| *id == modfile_id)
            .map(|(_, v, a)| (v.as_str(), a))
    }

    /// Publishes a new file (an update): a new modfile id and version, the old id kept so its
    /// modfile can still be read.
    pub fn publish(&mut self, modfile_id: u64, version: String, now: i64) {
        let archive = self.archive().clone();
        self.previous_files
            .push((self.modfile_id, self.version.clone(), archive));
        self.modfile_id = modfile_id;
        self.version = version;
        self.date_updated = now;
        self.archive_cache = std::sync::OnceLock::new();
    }

    pub fn set_archive(&mut self, entries: Vec<ArchiveEntry>) {
        self.custom_archive = Some(entries);
        self.archive_cache = std::sync::OnceLock::new();
    }
}

/// A zip of `entries`, stored (not deflated: the bytes stay easy to reason about in tests), with
/// the zip format's fixed 1980 timestamp, so the same entries always give the same bytes.
fn build_zip(entries: &[ArchiveEntry]) -> Vec<u8> {
    use std::io::Write;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for entry in entries {
        match &entry.symlink_target {
            Some(target) => writer
                .add_symlink(entry.name.as_str(), target.as_str(), options)
                .expect("a symlink entry"),
            None if entry.name.ends_with('/') => writer
                .add_directory(entry.name.as_str(), options)
                .expect("a directory entry"),
            None => {
                writer
                    .start_file(entry.name.as_str(), options)
                    .expect("a file entry");
                writer.write_all(&entry.data).expect("in memory");
            }
        }
    }
    writer.finish().expect("in memory").into_inner()
}

/// A mod purchase with virtual currency (checkout).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    pub user_id: u64,
    pub game_id: u64,
    pub mod_id: u64,
    pub amount: i64,
    pub idempotent_key: String,
    pub transaction_id: u64,
}

/// A stored answer for an idempotency key: replayed byte for byte, errors included.
#[derive(Debug, Clone)]
pub struct StoredAnswer {
    pub status: u16,
    pub body: Vec<u8>,
    pub created_at: i64,
}

/// Which endpoint an idempotency key belongs to: the S2S guide reuses one key for an
/// intent and its commit, so keys are scoped per endpoint as well as per user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdemScope {
    Checkout,
    S2sIntent,
    S2sCommit,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedRequest {
    pub method: String,
    pub path: String,
    pub query: String,
    /// Names lower-cased, in the order received.
    pub headers: Vec<(String, String)>,
    /// The body as text (lossy UTF-8).
    pub body: String,
}

impl LoggedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone)]
pub struct OAuthClient {
    pub client_id: String,
    pub client_secret: String,
    pub game_id: u64,
    /// Scopes granted when the request names none.
    pub scopes: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct ServiceToken {
    pub game_id: u64,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub expires_at: i64,
}

#[derive(Debug, Clone)]
pub struct DelegationToken {
    pub user_id: u64,
    pub game_id: u64,
    pub expires_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxState {
    Pending,
    Paid,
    Refunded,
}

impl TxState {
    /// The lower-case `transaction_type` the S2S guide shows.
    pub fn as_str(self) -> &'static str {
        match self {
            TxState::Pending => "pending",
            TxState::Paid => "paid",
            TxState::Refunded => "refunded",
        }
    }
}

/// An S2S transaction (intent → commit → maybe clawback).
#[derive(Debug, Clone)]
pub struct S2sTransaction {
    pub id: u64,
    pub user_id: u64,
    pub game_id: u64,
    pub portal: String,
    pub sku: String,
    pub amount: i64,
    pub platform_fee: i64,
    pub gateway_uuid: Option<String>,
    pub clawback_uuid: Option<String>,
    pub token_pack_id: u64,
    pub token_pack_name: String,
    pub state: TxState,
    pub purchase_date: i64,
    pub refund_reason: Option<String>,
}

/// Everything one fake server knows.
#[derive(Debug)]
pub struct State {
    /// "http://127.0.0.1:PORT/v1", for download URLs inside mod objects.
    pub base_url: String,
    /// Seconds added to the real clock (`POST /_control/clock`).
    pub clock_offset: i64,
    /// `POST /oauth/token` answers `expires_in` as an integer (the reference's table) instead of
    /// a string (its example): `POST /_control/service_token_format`.
    pub expires_in_as_integer: bool,
    /// How S2S idempotency keys are scoped: per user (the S2S guide's reading) or per
    /// delegation-token value (the stricter reading of the reference, under which a resend with
    /// a fresh token and the same key makes a second transaction). `POST /_control/s2s_key_scope`.
    pub s2s_keys_per_delegation_token: bool,
    /// 429 blocks that hold until their retry-after, and the counted limits (`ratelimit.rs`).
    pub(crate) rate_limits: crate::ratelimit::RateLimits,
    pub games: BTreeMap<u64, Game>,
    pub users: BTreeMap<u64, User>,
    pub wallets: BTreeMap<(u64, u64), Wallet>,
    pub tokens: HashMap<String, AccessToken>,
    pub mods: BTreeMap<u64, Mod>,
    pub charges: Vec<Charge>,
    pub idempotency: HashMap<(u64, IdemScope, String), StoredAnswer>,
    pub requests: Vec<LoggedRequest>,
    pub faults: Vec<FaultRule>,
    pub oauth_clients: BTreeMap<String, OAuthClient>,
    pub service_tokens: HashMap<String, ServiceToken>,
    pub delegation_tokens: HashMap<String, DelegationToken>,
    pub transactions: BTreeMap<u64, S2sTransaction>,
    pub next_user_id: u64,
    pub next_mod_id: u64,
    pub next_modfile_id: u64,
    pub next_transaction_id: u64,
}

fn real_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// "Rogue Knight HD Pack" → "rogue-knight-hd-pack".
pub fn slugify(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// A random opaque token; the prefix makes logs readable.
pub fn new_token(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

/// Inputs for `State::add_user`; every credential is optional.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub username: String,
    pub game_id: u64,
    pub balance: i64,
    pub terms_agreed: bool,
    pub credentials: Credentials,
}

/// Inputs for `State::add_mod`; `None` fields get plausible defaults.
#[derive(Debug, Clone, Default)]
pub struct NewMod {
    pub id: Option<u64>,
    pub game_id: u64,
    pub name: String,
    pub price: i64,
    pub summary: Option<String>,
    pub tags: Vec<String>,
    pub version: Option<String>,
    pub filesize: Option<u64>,
    pub downloads_total: Option<u64>,
    pub ratings_positive: Option<u64>,
    pub ratings_negative: Option<u64>,
    /// `X-Modio-Platform` values the mod is live on; empty: every platform.
    pub platforms: Vec<String>,
}

impl State {
    pub fn new(base_url: &str) -> State {
        State {
            base_url: base_url.to_string(),
            clock_offset: 0,
            rate_limits: Default::default(),
            expires_in_as_integer: false,
            s2s_keys_per_delegation_token: false,
            games: BTreeMap::new(),
            users: BTreeMap::new(),
            wallets: BTreeMap::new(),
            tokens: HashMap::new(),
            mods: BTreeMap::new(),
            charges: Vec::new(),
            idempotency: HashMap::new(),
            requests: Vec::new(),
            faults: Vec::new(),
            oauth_clients: BTreeMap::new(),
            service_tokens: HashMap::new(),
            delegation_tokens: HashMap::new(),
            transactions: BTreeMap::new(),
            next_user_id: 1,
            next_mod_id: 1,
            next_modfile_id: 1,
            next_transaction_id: 100_000_001,
        }
    }

    /// Back to nothing, keeping only the address the server listens on.
    pub fn reset(&mut self) {
        *self = State::new(&self.base_url.clone());
    }

    /// The fake clock: real time plus whatever tests advanced it by.
    pub fn now(&self) -> i64 {
        real_now() + self.clock_offset
    }

    pub fn advance_clock(&mut self, secs: i64) {
        self.clock_offset += secs;
    }

    pub fn next_transaction_id(&mut self) -> u64 {
        let id = self.next_transaction_id;
        self.next_transaction_id += 1;
        id
    }

    pub fn add_game(&mut self, game: Game) {
        self.games.insert(game.id, game);
    }

    pub fn game_by_api_key(&self, api_key: &str) -> Option<&Game> {
        self.games.values().find(|g| g.api_key == api_key)
    }

    /// Adds a user with a wallet on `game_id` and a fresh week-long access token.
    /// Returns (user id, access token).
    pub fn add_user(&mut self, new: NewUser) -> (u64, String) {
        let id = self.next_user_id;
        self.next_user_id += 1;
        let now = self.now();
        self.users.insert(
            id,
            User {
                id,
                username: new.username,
                game_id: new.game_id,
                terms_agreed: new.terms_agreed,
                credentials: new.credentials,
                entitlements: BTreeMap::new(),
                purchases: Vec::new(),
                platform_fetch_fails: false,
                date_joined: now,
            },
        );
        self.wallet_mut(id, new.game_id).balance = new.balance;
        let token = self.issue_token(id, new.game_id, now + ACCESS_TOKEN_TTL_SECS);
        (id, token)
    }

    /// A new access token for `user_id` that expires at `expires_at` (fake clock).
    pub fn issue_token(&mut self, user_id: u64, game_id: u64, expires_at: i64) -> String {
        let token = new_token("modio-access");
        self.tokens.insert(
            token.clone(),
            AccessToken {
                user_id,
                game_id,
                expires_at,
            },
        );
        token
    }

    /// The user's wallet on a game, created empty on first use as `GET /me/wallets` does.
    pub fn wallet_mut(&mut self, user_id: u64, game_id: u64) -> &mut Wallet {
        self.wallets
            .entry((user_id, game_id))
            .or_insert_with(|| Wallet {
                balance: 0,
                deficit: 0,
                // Deterministic so snapshots stay stable; shaped like a v4 UUID.
                payment_method_id: format!(
                    "00000000-0000-4000-8000-{:06}{:06}",
                    user_id % 1_000_000,
                    game_id % 1_000_000
                ),
            })
    }

    /// Credits currency; an outstanding deficit is paid off first.
    pub fn credit(&mut self, user_id: u64, game_id: u64, amount: i64) {
        let wallet = self.wallet_mut(user_id, game_id);
        let to_deficit = amount.min(wallet.deficit);
        wallet.deficit -= to_deficit;
        wallet.balance += amount - to_deficit;
    }

    /// Takes currency back after a clawback; what the balance cannot cover becomes deficit.
    pub fn claw_back(&mut self, user_id: u64, game_id: u64, amount: i64) {
        let wallet = self.wallet_mut(user_id, game_id);
        let from_balance = amount.min(wallet.balance.max(0));
        wallet.balance -= from_balance;
        wallet.deficit += amount - from_balance;
    }

    pub fn add_entitlement(&mut self, user_id: u64, portal: &str, sku: &str, count: u32) -> bool {
        let Some(user) = self.users.get_mut(&user_id) else {
            return false;
        };
        *user
            .entitlements
            .entry(portal.to_string())
            .or_default()
            .entry(sku.to_string())
            .or_default() += count;
        true
    }

    /// Adds (or replaces) a mod; returns its id.
    pub fn add_mod(&mut self, new: NewMod) -> u64 {
        let id = new.id.unwrap_or(self.next_mod_id);
        self.next_mod_id = self.next_mod_id.max(id + 1);
        let modfile_id = self.next_modfile_id;
        self.next_modfile_id += 1;
        let name_id = slugify(&new.name);
        // Fixed past dates keep mod objects identical across runs.
        let date_added = 1_700_000_000 + (id as i64 % 1000) * 3600;
        let positive = new.ratings_positive.unwrap_or(40 + id % 60);
        let negative = new.ratings_negative.unwrap_or(id % 7);
        let m = Mod {
            id,
            game_id: new.game_id,
            summary: new
                .summary
                .unwrap_or_else(|| format!("{} for Rogue Knight.", new.name)),
            description: format!("<p>{}</p>", new.name),
            name: new.name,
            name_id,
            price: new.price,
            tags: new.tags,
            metadata_kvp: vec![("fake".into(), "true".into())],
            submitted_by: "fake-creator".into(),
            date_added,
            date_updated: date_added + 86_400,
            modfile_id,
            version: new.version.unwrap_or_else(|| "1.0".into()),
            filename: format!("mod-{id}.zip"),
            filesize: new.filesize.unwrap_or(2048 + (id % 17) * 512),
            downloads_total: new.downloads_total.unwrap_or(1000 + id * 37),
            subscribers_total: 100 + id * 3,
            ratings_positive: positive,
            ratings_negative: negative,
            platforms: new.platforms,
            previous_files: Vec::new(),
            custom_archive: None,
            archive_cache: std::sync::OnceLock::new(),
        };
        self.mods.insert(id, m);
        id
    }

    /// Appends a fault: the next `count` requests whose path starts with `path` get it.
    pub fn add_fault(&mut self, path: &str, count: u32, fault: Fault) {
        self.add_fault_for_method(path, None, count, fault);
    }

    pub fn add_fault_for_method(
        &mut self,
        path: &str,
        method: Option<&str>,
        count: u32,
        fault: Fault,
    ) {
        if count == 0 {
            return;
        }
        self.faults.push(FaultRule {
            path_prefix: path.to_string(),
            method: method.map(|m| m.to_ascii_uppercase()),
            remaining: count,
            fault,
        });
    }

    /// The fault for this request, if any, counting it down (first matching rule wins).
    pub fn take_fault(&mut self, method: &str, path: &str) -> Option<Fault> {
        let index = self.faults.iter().position(|r| r.matches(method, path))?;
        let rule = &mut self.faults[index];
        rule.remaining -= 1;
        let fault = rule.fault.clone();
        if rule.remaining == 0 {
            self.faults.remove(index);
        }
        Some(fault)
    }

    /// A stored answer for this key if it is younger than 24 hours; older ones are
    /// forgotten, so the key can be used again.
    pub fn idempotent_answer(
        &mut self,
        user_id: u64,
        scope: IdemScope,
        key: &str,
    ) -> Option<StoredAnswer> {
        let now = self.now();
        let map_key = (user_id, scope, key.to_string());
        match self.idempotency.get(&map_key) {
            Some(a) if now - a.created_at < IDEMPOTENCY_TTL_SECS => Some(a.clone()),
            Some(_) => {
                self.idempotency.remove(&map_key);
                None
            }
            None => None,
        }
    }

    pub fn store_idempotent_answer(
        &mut self,
        user_id: u64,
        scope: IdemScope,
        key: &str,
        status: u16,
        body: Vec<u8>,
    ) {
        let created_at = self.now();
        self.idempotency.insert(
            (user_id, scope, key.to_string()),
            StoredAnswer {
                status,
                body,
                created_at,
            },
        );
    }

    pub fn add_oauth_client(&mut self, client: OAuthClient) {
        self.oauth_clients.insert(client.client_id.clone(), client);
    }
}
