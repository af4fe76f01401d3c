//! `POST /games/{id}/mods/{mod}/checkout`: buying a mod with virtual currency.
//!
//! Idempotency: once the user and a well-formed request are known, the answer (success
//! or business error) is stored under (user, key) for 24 hours on the fake clock and
//! replayed byte for byte, without charging again. Input validation errors (422 / 13009)
//! are not stored, like other idempotent APIs: such a request never started executing,
//! and the fixed retry must be able to run.

use serde_json::json;

use super::{path_id, require_user};
use crate::errors;
use crate::http::{Answer, ApiResponse, Req, Validation};
use crate::objects::mod_object;
use crate::state::{Charge, IdemScope, Purchase, State};

pub fn checkout(state: &mut State, req: &Req, game: &str, m: &str) -> Answer {
    let user = require_user(state, req)?;
    let form = req.form()?;
    let mut v = Validation::new();
    let checkout_type = v.require_int(&form, "type");
    let display_amount = v.require_int(&form, "display_amount");
    let key = v.require(&form, "idempotent_key").map(str::to_string);
    if let Some(t) = checkout_type {
        if t != 0 {
            v.add("type", "Only virtual token checkout (type 0) is supported.");
        }
    }
    v.finish()?;
    let (display_amount, key) = (display_amount.expect("validated"), key.expect("validated"));

    if let Some(stored) = state.idempotent_answer(user.user_id, IdemScope::Checkout, &key) {
        return Ok(ApiResponse {
            status: stored.status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: stored.body,
        });
    }
    let answer = purchase(state, user.user_id, game, m, display_amount, &key);
    let response = crate::http::settle(answer);
    state.store_idempotent_answer(
        user.user_id,
        IdemScope::Checkout,
        &key,
        response.status,
        response.body.clone(),
    );
    Ok(response)
}

/// The purchase itself: 14001, 900022, 15022, 900014 (a free mod), then the documented order
/// 900034, 900035, 900049.
fn purchase(
    state: &mut State,
    user_id: u64,
    game: &str,
    m: &str,
    display_amount: i64,
    key: &str,
) -> Answer {
    let game_id = path_id(game, errors::game_not_found)?;
    let game = state
        .games
        .get(&game_id)
        .ok_or_else(errors::game_not_found)?;
    // Before the mod lookup: an unmonetized game answers 404 / 900022 whatever the mod.
    if !game.monetized {
        return Err(errors::monetization_team_not_found());
    }
    let mod_id = path_id(m, errors::mod_not_found)?;
    let price = state
        .mods
        .get(&mod_id)
        .filter(|m| m.game_id == game_id)
        .ok_or_else(errors::mod_not_found)?
        .price;
    // A free mod is not for sale: nothing to buy, nothing recorded (issue 13, item 5).
    if price == 0 {
        return Err(errors::mod_not_monetized());
    }
    let user = &state.users[&user_id];
    if user.purchases.iter().any(|p| p.mod_id == mod_id) {
        return Err(errors::already_owned());
    }
    if display_amount != price {
        return Err(errors::price_mismatch());
    }
    if state.wallet_mut(user_id, game_id).balance < price {
        return Err(errors::insufficient_funds());
    }

    let transaction_id = state.next_transaction_id();
    let now = state.now();
    let wallet = state.wallet_mut(user_id, game_id);
    wallet.balance -= price;
    let wallet = wallet.clone();
    state.charges.push(Charge {
        user_id,
        game_id,
        mod_id,
        amount: price,
        idempotent_key: key.to_string(),
        transaction_id,
    });
    state
        .users
        .get_mut(&user_id)
        .expect("token checked")
        .purchases
        .push(Purchase {
            mod_id,
            game_id,
            transaction_id,
            date: now,
        });
    let mod_json = mod_object(state, &state.mods[&mod_id]);
    Ok(ApiResponse::ok(json!({
        "transaction_id": transaction_id,
        "gateway_uuid": uuid::Uuid::new_v4().to_string(),
        "gross_amount": price,
        "net_amount": price,
        "platform_fee": price / 4,
        "gateway_fee": price * 25 / 1000,
        "transaction_type": "PAID",
        "meta": {},
        "purchase_date": now,
        "wallet_type": "STANDARD_MIO",
        "balance": wallet.balance,
        "deficit": wallet.deficit,
        "payment_method_id": wallet.payment_method_id,
        "mod": mod_json
    })))
}
