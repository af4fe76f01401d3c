//! The state an S2S client shares with its workers: the transport, the service token (fetched,
//! kept, renewed) and the key book that refuses one key for two operations.

use super::*;

pub(super) struct CachedToken {
    pub(super) token: Secret,
    /// When to fetch a new one; `None` when mod.io gave no lifetime (renewed on 401 only).
    pub(super) renew_at: Option<Instant>,
    pub(super) info: ServiceTokenInfo,
}

#[derive(Default)]
pub(super) struct TokenSlot {
    pub(super) current: Option<CachedToken>,
    /// Bumped on every new token, so a 401 renews only the token it was answered for.
    pub(super) generation: u64,
    pub(super) last_forced_renewal: Option<Instant>,
}

/// The keys this client sent in the last 24 hours, per delegation token, with a fingerprint of
/// the operation each named. It refuses to send one key for two different operations of one
/// delegation token (mod.io would answer the second with the first's answer). Holds hashes
/// only (keyed per process): no token can be read back from it.
pub(super) struct KeyBook {
    pub(super) hasher: RandomState,
    pub(super) entries: HashMap<(u64, String), (u64, Instant)>,
}

impl KeyBook {
    pub(super) fn new() -> KeyBook {
        KeyBook { hasher: RandomState::new(), entries: HashMap::new() }
    }

    pub(super) fn hash(&self, parts: &[&str]) -> u64 {
        let mut h = self.hasher.build_hasher();
        for p in parts {
            h.write(p.as_bytes());
            h.write_u8(0xff);
        }
        h.finish()
    }

    pub(super) fn check_and_record(&mut self, delegation: &Secret, key: &IdempotencyKey, operation: &[&str]) -> Result<()> {
        let now = Instant::now();
        let scope = self.hash(&[delegation.expose()]);
        let fingerprint = self.hash(operation);
        let slot = (scope, key.as_str().to_owned());
        if let Some((seen, at)) = self.entries.get(&slot) {
            if *seen != fingerprint && now.duration_since(*at) < IDEMPOTENCY_KEY_LIFETIME {
                return Err(Error::invalid_argument(
                    "idempotency_key",
                    "already used for a different operation with this delegation token; generate one key per operation",
                ));
            }
        }
        self.entries.insert(slot, (fingerprint, now));
        if self.entries.len() > KEY_BOOK_CAPACITY {
            self.entries.retain(|_, (_, at)| now.duration_since(*at) < IDEMPOTENCY_KEY_LIFETIME);
            if self.entries.len() > KEY_BOOK_CAPACITY {
                let mut ages: Vec<Instant> = self.entries.values().map(|(_, at)| *at).collect();
                ages.sort_unstable();
                let cutoff = ages[ages.len() - KEY_BOOK_CAPACITY * 9 / 10];
                self.entries.retain(|_, (_, at)| *at >= cutoff);
            }
        }
        Ok(())
    }
}

pub(crate) struct S2sShared {
    pub(super) transport: Transport,
    pub(super) client_id: String,
    pub(super) client_secret: Secret,
    pub(super) scopes: String,
    pub(super) renew_before: Duration,
    /// The studio's monetization team (the transaction history's path); 0: not configured.
    pub(super) monetization_team_id: u64,
    pub(super) token: Mutex<TokenSlot>,
    pub(super) keys: Mutex<KeyBook>,
    pub(super) logger: Logger,
}

/// An intent or commit ready to send: validated, with its key.
pub(super) struct Prepared {
    pub(super) delegation: Secret,
    pub(super) key: IdempotencyKey,
    pub(super) path: &'static str,
    pub(super) fields: Vec<(&'static str, String)>,
}

impl S2sShared {
    pub(super) fn fetch_token(&self, cancel: &dyn Fn() -> bool) -> Result<CachedToken> {
        let request = ApiRequest::post("oauth/token", Auth::None)
            .field("client_id", &self.client_id)
            .secret_field("client_secret", &self.client_secret)
            .field("grant_type", "client_credentials")
            .field("scope", &self.scopes)
            // Asking for a token twice is harmless: the second one is simply used.
            .idempotent();
        let (token, info) = self.transport.call(&request, None, decode_service_token, cancel)?;
        let renew_at = info.expires_in.map(|life| {
            let margin = self.renew_before.min(life / 2);
            Instant::now() + (life - margin)
        });
        self.logger.log(
            LogLevel::Info,
            format_args!(
                "S2S service token obtained (scopes {}, expires in {})",
                if info.scopes.is_empty() { "?" } else { &info.scopes },
                info.expires_in.map_or_else(|| "an unknown time".to_owned(), |d| format!("{} s", d.as_secs()))
            ),
        );
        Ok(CachedToken { token, renew_at, info })
    }

    /// The current service token, fetched when there is none or it is due for renewal.
    pub(super) fn service_token(&self, cancel: &dyn Fn() -> bool) -> Result<(Secret, u64)> {
        // Held across the fetch: concurrent callers wait for one renewal instead of each minting.
        let mut slot = lock(&self.token);
        let due = match &slot.current {
            None => true,
            Some(t) => t.renew_at.is_some_and(|at| Instant::now() >= at),
        };
        if due {
            let fresh = self.fetch_token(cancel)?;
            slot.current = Some(fresh);
            slot.generation += 1;
        }
        let token = slot.current.as_ref().map(|t| t.token.clone()).expect("set above");
        Ok((token, slot.generation))
    }

    /// After a 401 answered to token `generation`: a token to retry with, or `None` to give up.
    pub(super) fn renew_after_refusal(&self, generation: u64, cancel: &dyn Fn() -> bool) -> Result<Option<Secret>> {
        let mut slot = lock(&self.token);
        if slot.generation != generation {
            // Someone renewed meanwhile: retry with theirs.
            return Ok(slot.current.as_ref().map(|t| t.token.clone()));
        }
        if slot.last_forced_renewal.is_some_and(|at| at.elapsed() < FORCED_RENEWAL_INTERVAL) {
            return Ok(None);
        }
        self.logger.log(LogLevel::Info, format_args!("S2S call refused with 401: renewing the service token once"));
        slot.last_forced_renewal = Some(Instant::now());
        let fresh = self.fetch_token(cancel)?;
        let token = fresh.token.clone();
        slot.current = Some(fresh);
        slot.generation += 1;
        Ok(Some(token))
    }

    pub(super) fn refresh_service_token(&self, cancel: &dyn Fn() -> bool) -> Result<ServiceTokenInfo> {
        let mut slot = lock(&self.token);
        let fresh = self.fetch_token(cancel)?;
        let info = fresh.info.clone();
        slot.current = Some(fresh);
        slot.generation += 1;
        Ok(info)
    }

    /// Sends a request built around the service token; a 401 renews the token once and resends.
    pub(super) fn with_service_token<T>(
        &self,
        build: impl Fn(Secret) -> ApiRequest,
        decode: impl Fn(&[u8]) -> Result<T>,
        cancel: &dyn Fn() -> bool,
    ) -> Result<T> {
        let (token, generation) = self.service_token(cancel)?;
        match self.transport.call(&build(token), None, &decode, cancel) {
            Err(e) if e.http_status() == 401 && !cancel() => match self.renew_after_refusal(generation, cancel)? {
                Some(token) => self.transport.call(&build(token), None, &decode, cancel),
                None => Err(e),
            },
            other => other,
        }
    }

    pub(super) fn prepare_intent(&self, delegation: Secret, request: &IntentRequest, key: Option<IdempotencyKey>) -> Result<Prepared> {
        request.validate()?;
        check_delegation(&delegation)?;
        let key = key.unwrap_or_else(IdempotencyKey::generate);
        let gateway = request.gateway_uuid.clone().unwrap_or_default();
        lock(&self.keys).check_and_record(&delegation, &key, &["intent", &request.sku, request.portal.as_str(), &gateway])?;
        let mut fields = vec![("sku", request.sku.clone()), ("portal", request.portal.as_str().to_owned())];
        if let Some(g) = &request.gateway_uuid {
            fields.push(("gateway_uuid", g.clone()));
        }
        Ok(Prepared { delegation, key, path: "s2s/transactions/intent", fields })
    }

    pub(super) fn prepare_commit(&self, delegation: Secret, request: &CommitRequest, key: Option<IdempotencyKey>) -> Result<Prepared> {
        request.validate()?;
        check_delegation(&delegation)?;
        let key = key.unwrap_or_else(IdempotencyKey::generate);
        let id = request.transaction_id.to_string();
        let clawback = request.clawback_uuid.clone().unwrap_or_default();
        lock(&self.keys).check_and_record(&delegation, &key, &["commit", &id, &clawback])?;
        let mut fields = vec![("transaction_id", id)];
        if let Some(c) = &request.clawback_uuid {
            fields.push(("clawback_uuid", c.clone()));
        }
        Ok(Prepared { delegation, key, path: "s2s/transactions/commit", fields })
    }

    pub(super) fn send_prepared(&self, p: &Prepared, cancel: &dyn Fn() -> bool) -> Result<S2sTransaction> {
        let build = |token: Secret| {
            let mut r = ApiRequest::post(p.path, Auth::Bearer(token))
                .header("x-modio-delegation-token", p.delegation.clone())
                .header("x-modio-idempotent-key", Secret::new(p.key.as_str()))
                // The key makes a repeat answer the first answer: every retry reuses it.
                .idempotent();
            for (k, v) in &p.fields {
                r = r.field(k, v);
            }
            r
        };
        let mut t = self.with_service_token(build, S2sTransaction::decode, cancel)?;
        t.idempotency_key = Some(p.key.clone());
        Ok(t)
    }

    pub(super) fn clawback(&self, request: &ClawbackRequest, cancel: &dyn Fn() -> bool) -> Result<S2sTransaction> {
        let build = |token: Secret| {
            let mut r = ApiRequest::post("s2s/transactions/clawback", Auth::Bearer(token));
            r = match &request.target {
                ClawbackTarget::TransactionId(id) => r.field("transaction_id", id),
                ClawbackTarget::GatewayUuid(g) => r.field("gateway_uuid", g),
            };
            r = r.field("portal", request.portal.as_str()).field("refund_reason", &request.refund_reason);
            if let Some(c) = &request.clawback_uuid {
                r = r.field("clawback_uuid", c);
            }
            // A clawback names one transaction, which is refunded once: mod.io answers a repeat
            // with the refunded transaction and takes nothing twice, so retrying is safe.
            r.idempotent()
        };
        self.with_service_token(build, S2sTransaction::decode, cancel)
    }
}

impl S2sShared {
    fn team(&self) -> Result<u64> {
        if self.monetization_team_id == 0 {
            return Err(Error::invalid_argument(
                "monetization_team_id",
                "is not configured: the transaction history is per monetization team",
            ));
        }
        Ok(self.monetization_team_id)
    }

    /// One page of the transaction history.
    pub(super) fn transactions(&self, query: &TransactionQuery, cancel: &dyn Fn() -> bool) -> Result<TransactionHistoryPage> {
        let team = self.team()?;
        let build = |token: Secret| {
            let mut r = ApiRequest::get(format!("s2s/monetization-teams/{team}/transactions"), Auth::Bearer(token));
            for (k, v) in query.parameters() {
                r = r.query(k, v);
            }
            r
        };
        self.with_service_token(build, TransactionHistoryPage::decode, cancel)
    }

    /// One transaction of the history.
    pub(super) fn transaction(&self, id: u64, cancel: &dyn Fn() -> bool) -> Result<HistoryTransaction> {
        let team = self.team()?;
        let build = |token: Secret| ApiRequest::get(format!("s2s/monetization-teams/{team}/transactions/{id}"), Auth::Bearer(token));
        let t = self.with_service_token(build, HistoryTransaction::decode_one, cancel)?;
        if t.id != id {
            return Err(Error::new(
                ResultCode::UnexpectedAnswer,
                format!("asked for transaction {id}, the answer is transaction {}", t.id),
            ));
        }
        Ok(t)
    }

    /// Every page of the history matching `query` (at most `max_pages`).
    pub(super) fn all_transactions(
        &self,
        query: &TransactionQuery,
        max_pages: usize,
        cancel: &dyn Fn() -> bool,
    ) -> Result<Vec<HistoryTransaction>> {
        let mut query = query.clone();
        let mut out = Vec::new();
        for _ in 0..max_pages {
            let page = self.transactions(&query, cancel)?;
            out.extend(page.transactions);
            match page.next_cursor {
                Some(next) if Some(&next) != query.cursor.as_ref() => query.cursor = Some(next),
                _ => return Ok(out),
            }
        }
        Err(Error::malformed(format!("the transaction history did not end after {max_pages} pages")))
    }
}

pub(super) fn check_delegation(delegation: &Secret) -> Result<()> {
    if delegation.expose().trim().is_empty() {
        return Err(Error::invalid_argument("delegation_token", "must not be empty"));
    }
    if delegation.expose().len() > 16 * 1024 || delegation.expose().chars().any(|c| c.is_control() || !c.is_ascii()) {
        return Err(Error::invalid_argument("delegation_token", "is not a token (too long, or characters not allowed in a header)"));
    }
    Ok(())
}
