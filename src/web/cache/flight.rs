//! One render per page at a time: when a change drops a page that many
//! readers are asking for (the home page, a feed), the first request to
//! miss renders it and the others wait for that render and are answered
//! from it, as Varnish and CDNs coalesce requests. Without this, a hundred
//! readers arriving together render the same page a hundred times.
//!
//! A flight belongs to the cache generation it began in: a request that
//! arrives after a change never waits for a render of what was there
//! before, but starts its own. A render that ends without a page to keep
//! (an error, a page not to be kept) lets its waiters render for
//! themselves, as does one that is dropped half-way (a client gone).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::watch;

use super::page::CachedPage;

/// What a render ended with: the page it kept, or none.
type Outcome = Option<Option<Arc<CachedPage>>>;

/// The renders under way, by cache key.
#[derive(Default)]
pub(super) struct Flights {
    flying: Mutex<HashMap<String, Flight>>,
}

struct Flight {
    generation: u64,
    landed: watch::Receiver<Outcome>,
    /// How many requests wait for it.
    passengers: usize,
}

/// What a request that missed does: render, or wait for the render under
/// way.
pub(super) enum Boarding {
    /// Render, then `land` with the page.
    Pilot(Pilot),
    /// Wait for the page another request is rendering.
    Passenger(watch::Receiver<Outcome>),
}

/// The request rendering a page; dropped without landing (a panic, a
/// client that went away), it lets the passengers render for themselves.
pub(super) struct Pilot {
    flights: Arc<Flights>,
    key: String,
    generation: u64,
    landing: watch::Sender<Outcome>,
}

impl Flights {
    /// Joins the render of `key` begun in `generation`, or begins one.
    pub(super) fn board(self: &Arc<Self>, key: &str, generation: u64) -> Boarding {
        let mut flying = self.lock();
        if let Some(flight) = flying.get_mut(key)
            && flight.generation == generation
        {
            flight.passengers += 1;
            return Boarding::Passenger(flight.landed.clone());
        }
        let (landing, landed) = watch::channel(None);
        let flight = Flight {
            generation,
            landed,
            passengers: 0,
        };
        flying.insert(key.to_string(), flight);
        Boarding::Pilot(Pilot {
            flights: Arc::clone(self),
            key: key.to_string(),
            generation,
            landing,
        })
    }

    /// How many requests wait for the render of `key` under way.
    #[cfg(test)]
    pub(super) fn passengers(&self, key: &str) -> usize {
        self.lock().get(key).map_or(0, |flight| flight.passengers)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Flight>> {
        self.flying.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Pilot {
    /// Ends the render: the passengers get `page` (or render themselves
    /// when there is none).
    pub(super) fn land(self, page: Option<Arc<CachedPage>>) {
        let _ = self.landing.send(Some(page));
    }
}

impl Drop for Pilot {
    fn drop(&mut self) {
        let mut flying = self.flights.lock();
        // A later flight (after a change) may have taken the key: leave it.
        if flying
            .get(&self.key)
            .is_some_and(|flight| flight.generation == self.generation)
        {
            flying.remove(&self.key);
        }
    }
}

/// The page the pilot rendered, once it lands; `None` if it kept none or
/// was dropped first.
pub(super) async fn arrival(mut landed: watch::Receiver<Outcome>) -> Option<Arc<CachedPage>> {
    landed
        .wait_for(Option::is_some)
        .await
        .ok()
        .and_then(|outcome| outcome.clone().flatten())
}

#[cfg(test)]
mod tests {
    use super::super::page::tests::page;
    use super::*;

    fn pilot(boarding: Boarding) -> Pilot {
        match boarding {
            Boarding::Pilot(pilot) => pilot,
            Boarding::Passenger(_) => panic!("expected to render"),
        }
    }

    fn passenger(boarding: Boarding) -> watch::Receiver<Outcome> {
        match boarding {
            Boarding::Passenger(landed) => landed,
            Boarding::Pilot(_) => panic!("expected to wait"),
        }
    }

    #[tokio::test]
    async fn requests_that_miss_together_wait_for_one_render() {
        let flights = Arc::new(Flights::default());
        let first = pilot(flights.board("/", 3));
        let waiting = [
            passenger(flights.board("/", 3)),
            passenger(flights.board("/", 3)),
        ];
        let other = pilot(flights.board("/feed.xml", 3));
        first.land(Some(page("home", &["site"])));
        for landed in waiting {
            let page = arrival(landed).await.expect("the pilot's page");
            assert_eq!(page.identity, "home");
        }
        // Landed: the next miss renders again.
        let again = pilot(flights.board("/", 3));
        again.land(None);
        drop(other);
    }

    #[tokio::test]
    async fn a_request_after_a_change_renders_for_itself() {
        let flights = Arc::new(Flights::default());
        let before = pilot(flights.board("/", 3));
        let after = pilot(flights.board("/", 4));
        let waiting = passenger(flights.board("/", 4));
        // The older render ending does not end the newer flight.
        drop(before);
        assert!(matches!(flights.board("/", 4), Boarding::Passenger(_)));
        after.land(Some(page("new", &["site"])));
        assert_eq!(arrival(waiting).await.unwrap().identity, "new");
    }

    #[tokio::test]
    async fn a_render_that_keeps_nothing_or_is_dropped_lets_the_others_render() {
        let flights = Arc::new(Flights::default());
        let first = pilot(flights.board("/", 1));
        let waiting = passenger(flights.board("/", 1));
        first.land(None);
        assert!(arrival(waiting).await.is_none());

        let second = pilot(flights.board("/", 1));
        let waiting = passenger(flights.board("/", 1));
        drop(second);
        assert!(arrival(waiting).await.is_none());
    }
}
