//! The page's side of the simulation worker, shaped like yew-agent's `WorkerProvider` and
//! `use_worker_bridge` (this crate speaks its own protocol, [`crate::protocol`], over
//! gloo-worker, without yew-agent):
//!
//! - [`SimWorkerProvider`] spawns the worker once for everything below it and offers it as
//!   context;
//! - [`use_sim_worker`] connects a component to it: a fork of the provider's bridge whose
//!   callback is refreshed on every render, and a [`SimWorkerHandle`] to post with.
//!
//! The worker answers the bridge that last wrote to it, so one component (the explorer's root)
//! holds the connection and hands [`SimWorkerHandle::sender`] down to the components that post.
//! Cancellation stays where it was: a new `Start` or a `Cancel` stops the run in flight in the
//! worker, and the page's state ignores every message of an older run number
//! ([`crate::state::RunView`]).

use crate::protocol::{FromWorker, ToWorker};
use crate::worker::SimWorker;
use gloo::worker::{Spawnable, WorkerBridge};
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`SimWorkerProvider`].
#[derive(Properties, PartialEq)]
pub struct ProviderProps {
    /// URL of the worker script.
    pub path: AttrValue,
    /// The components that may use the worker.
    #[prop_or_default]
    pub children: Html,
}

/// The context [`SimWorkerProvider`] offers: the bridge it spawned the worker with.
#[derive(Clone)]
struct SimWorkerContext {
    /// The spawning bridge; components talk through forks of it. Equal contexts hold the same
    /// bridge.
    bridge: Rc<WorkerBridge<SimWorker>>,
}

impl PartialEq for SimWorkerContext {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.bridge, &other.bridge)
    }
}

/// Spawns the simulation worker (once per `path`) and offers it to its children.
#[component]
pub fn SimWorkerProvider(p: &ProviderProps) -> Html {
    let context = use_memo(p.path.clone(), |path| SimWorkerContext {
        bridge: Rc::new(SimWorker::spawner().spawn(path)),
    });
    html! {
        <ContextProvider<SimWorkerContext> context={(*context).clone()}>
            { p.children.clone() }
        </ContextProvider<SimWorkerContext>>
    }
}

/// A component's connection to the simulation worker.
#[derive(Clone)]
pub struct SimWorkerHandle {
    bridge: Rc<WorkerBridge<SimWorker>>,
}

impl PartialEq for SimWorkerHandle {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.bridge, &other.bridge)
    }
}

impl SimWorkerHandle {
    /// Posts `m` to the worker (queued until the worker has loaded).
    pub fn send(&self, m: ToWorker) {
        self.bridge.send(m);
    }

    /// A callback that posts to the worker, for components that only send (their replies come
    /// to the component that holds this handle).
    pub fn sender(&self) -> Callback<ToWorker> {
        let bridge = self.bridge.clone();
        Callback::from(move |m: ToWorker| bridge.send(m))
    }
}

/// What a component does with the worker's messages.
type OnOutput = Rc<dyn Fn(FromWorker)>;

/// Connects the component to the worker of the nearest [`SimWorkerProvider`]: `on_output`
/// hears everything the worker sends back (the latest closure, refreshed on every render).
///
/// # Panics
/// Outside a [`SimWorkerProvider`].
#[hook]
pub fn use_sim_worker<F>(on_output: F) -> SimWorkerHandle
where
    F: Fn(FromWorker) + 'static,
{
    let context = use_context::<SimWorkerContext>()
        .expect("use_sim_worker needs a SimWorkerProvider above the component");
    let on_output: OnOutput = Rc::new(on_output);
    let latest = use_mut_ref(|| on_output.clone());
    *latest.borrow_mut() = on_output;
    let bridge = use_memo(context, |c| {
        let latest = latest.clone();
        c.bridge.fork(Some(move |m: FromWorker| {
            let f = latest.borrow().clone();
            f(m)
        }))
    });
    SimWorkerHandle { bridge }
}
