//! The budget on tokio's paused clock: prepaid slots, queueing, allowances, and slots carried
//! into a spawned task.

use super::*;

#[tokio::test(start_paused = true)]
async fn prepaid_calls_use_their_slots_and_later_calls_queue() {
    let budget = Budget::new(
        Window::new(2, Duration::from_secs(10), Duration::ZERO),
        Duration::from_secs(30),
    );
    let start = Instant::now();
    let waits = budget
        .prepaid(2, async {
            let mut waits = Vec::new();
            for _ in 0..3 {
                budget.acquire().await.unwrap();
                waits.push(Instant::now() - start);
            }
            waits
        })
        .await
        .unwrap();
    assert_eq!(
        waits,
        [Duration::ZERO, Duration::ZERO, Duration::from_secs(10)]
    );
    // Nothing left for another task: it cannot start now.
    let refused = Budget::new(
        Window::new(1, Duration::from_secs(10), Duration::ZERO),
        Duration::ZERO,
    );
    refused.acquire().await.unwrap();
    assert!(refused.prepaid(1, async {}).await.is_err());
}

#[tokio::test(start_paused = true)]
async fn acquire_waits_for_the_reserved_time() {
    let budget = Budget::new(
        Window::new(1, Duration::from_secs(10), Duration::ZERO),
        Duration::from_secs(30),
    );
    let start = Instant::now();
    budget.acquire().await.unwrap();
    budget.acquire().await.unwrap();
    assert_eq!(Instant::now() - start, Duration::from_secs(10));
    assert!(budget.wait_estimate() > Duration::from_secs(9));
}

#[tokio::test(start_paused = true)]
async fn one_subject_cannot_take_more_than_its_allowance_and_others_are_unaffected() {
    let budget = Budget::new(
        Window::new(1000, Duration::from_secs(60), Duration::ZERO),
        Duration::from_secs(5),
    )
    .with_allowance(Limiter::new(allowance(10)));
    let spent = budget
        .on_behalf_of("greedy", async {
            let mut granted = 0;
            for _ in 0..30 {
                if budget.acquire().await.is_ok() {
                    granted += 1;
                }
            }
            granted
        })
        .await;
    assert_eq!(spent, 10);
    let refused = budget
        .on_behalf_of("greedy", budget.prepaid(2, async {}))
        .await
        .unwrap_err();
    assert_eq!(refused.reason, Reason::Allowance);
    assert!(refused.retry_after > Duration::ZERO);
    budget
        .on_behalf_of("modest", budget.prepaid(2, async {}))
        .await
        .unwrap();
    // Calls made for no one in particular (start-up, tests) are not limited by allowances.
    budget.acquire().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn prepaid_slots_and_the_subject_travel_into_a_spawned_task() {
    let budget = std::sync::Arc::new(
        Budget::new(
            Window::new(2, Duration::from_secs(10), Duration::ZERO),
            Duration::from_secs(30),
        )
        .with_allowance(Limiter::new(allowance(2))),
    );
    let start = Instant::now();
    let inner = budget.clone();
    let waits = budget
        .on_behalf_of(
            "ada",
            budget.prepaid(2, async move {
                inner.acquire().await.unwrap();
                let carried = Budget::carry();
                let spawned = inner.clone();
                tokio::spawn(carried.scope(async move {
                    // The second prepaid slot: no wait, and no allowance taken twice.
                    spawned.acquire().await.unwrap();
                    let used = Instant::now() - start;
                    // Ada's allowance (2) was taken by the reservation: a third is refused.
                    (used, spawned.acquire().await.unwrap_err().reason)
                }))
                .await
                .unwrap()
            }),
        )
        .await
        .unwrap();
    assert_eq!(waits, (Duration::ZERO, Reason::Allowance));
}
