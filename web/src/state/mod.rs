//! The explorer's state as a reducer: a plain [`State`] and the [`Action`]s that change it,
//! testable natively. Side effects (posting to the worker, writing the URL) happen in the
//! root component when [`State::generation`] changes.

mod edit;
mod open;
mod prefix_edit;
mod results;
mod slo_edit;
#[cfg(test)]
mod tests;

pub use edit::{DEFAULT_LOGNORMAL, Edit, SourceChoice, default_synthetic};
pub use open::{Opened, link_words, open};
pub use prefix_edit::{DEFAULT_SESSIONS, PrefixEdit};
pub use results::{Progress, RunPhase, RunView, STOPPED};
pub use slo_edit::{SloEdit, SloField};

use crate::protocol::FromWorker;
use crate::runner::limits;
use pecsched_core::hardware::GpuKind;
use pecsched_core::perf::profiles::BuiltinProfile;
use pecsched_core::policy::ReservationPool;
use pecsched_core::scenario::wire::{CalibrationWire, WorkloadWire};
use pecsched_core::scenario::wire::{ScenarioWire, SourceWire};
use pecsched_core::scenario::{DerivedCap, Scenario, link};
use std::rc::Rc;
use yew::Reducible;

/// What the core derives from a valid draft, shown beside the fields it depends on (no model
/// logic in the page: every number here is the core's).
#[derive(Clone, Debug, PartialEq)]
pub struct Derived {
    /// The colocation cap the engine derives for the smallest and largest long input
    /// (`Scenario::derived_colocation_caps`).
    pub colocation: Vec<DerivedCap>,
    /// Replicas one request of Reservation's pool size gets (`Scenario::sp_degree_for`), when
    /// the pool is sized for a request.
    pub reservation_group: Option<u32>,
    /// The calibration as tables name it (`Scenario::calibration_label`).
    pub calibration_label: String,
    /// Replicas in the cluster.
    pub replicas: u32,
}

impl Derived {
    fn of(s: &Scenario) -> Derived {
        let reservation_group = match s.knobs().reservation_pool {
            ReservationPool::ForRequest {
                input_tokens,
                output_tokens,
            } => s.sp_degree_for(input_tokens, output_tokens).ok(),
            ReservationPool::Replicas(_) => None,
        };
        Derived {
            colocation: s.derived_colocation_caps().unwrap_or_default(),
            reservation_group,
            calibration_label: s.calibration_label(),
            replicas: s.replicas(),
        }
    }
}

/// A message for the user above the page.
#[derive(Clone, Debug, PartialEq)]
pub enum Notice {
    /// The link in the URL could not be opened; the default scenario is shown.
    BadLink(String),
    /// The scenario reads an uploaded trace that is not loaded (links carry only its name).
    UploadNeeded(String),
}

/// An uploaded trace the worker holds.
#[derive(Clone, Debug, PartialEq)]
pub struct Upload {
    /// File name.
    pub name: String,
    /// Format id.
    pub format: String,
    /// Requests in the file.
    pub requests: u32,
}

/// What happened to the last upload.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum UploadStatus {
    /// Nothing in progress.
    #[default]
    Idle,
    /// The worker is parsing this file.
    Reading(String),
    /// The file was refused: the core's message (with line numbers).
    Failed {
        /// File name.
        name: String,
        /// Why.
        message: String,
    },
}

/// The whole page state.
#[derive(Clone, Debug, PartialEq)]
pub struct State {
    /// The scenario as the editor shows it (may be invalid).
    pub draft: ScenarioWire,
    /// Why the draft is not runnable, if it is not.
    pub invalid: Option<String>,
    /// Bumped on every change that should (re)start or cancel a run.
    pub generation: u32,
    /// A message above the page.
    pub notice: Option<Notice>,
    /// The uploaded trace the worker holds.
    pub upload: Option<Upload>,
    /// The last upload's status.
    pub upload_status: UploadStatus,
    /// Run in flight and its results.
    pub run: RunView,
    /// Run the load sweep after the comparison.
    pub sweep_on: bool,
    /// What the core derives from the draft (`None` while the draft is invalid).
    pub derived: Option<Derived>,
    /// The page's URL fragment ([`State::link_fragment`]), computed once per change of the
    /// draft (in `changed`), not on every render.
    link: Option<String>,
}

/// Everything that can happen to the page.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// A field of the editor changed.
    Edit(Edit),
    /// Back to the default scenario.
    Reset,
    /// The user picked a file; the worker is reading it.
    UploadStarted(String),
    /// The browser could not read the picked file.
    UploadFailed {
        /// File name.
        name: String,
        /// Why.
        message: String,
    },
    /// The root component posted generation `generation` to the worker at `at_ms`.
    RunSent {
        /// Run number.
        generation: u32,
        /// `performance.now()` when it was posted.
        at_ms: f64,
    },
    /// A message from the worker, received at `at_ms` (`performance.now()`).
    Worker {
        /// The message.
        msg: FromWorker,
        /// When it arrived.
        at_ms: f64,
    },
    /// Turn the load sweep on or off.
    SweepOn(bool),
    /// Hide the notice.
    DismissNotice,
    /// Stop the run in flight (the root component also tells the worker to cancel it).
    Stop,
    /// The URL fragment changed under the page (`hashchange`): open it.
    FollowLink(String),
}

impl State {
    /// The state for a page opened with URL fragment `fragment`: the linked scenario, or the
    /// default one (with a notice saying why) if the link is bad.
    pub fn from_fragment(fragment: &str) -> State {
        let o = open(fragment);
        let mut s = State {
            draft: o.draft,
            invalid: None,
            generation: 0,
            notice: o.error.map(Notice::BadLink),
            upload: None,
            upload_status: UploadStatus::Idle,
            run: RunView::default(),
            sweep_on: true,
            derived: None,
            link: None,
        };
        s.changed();
        s
    }

    /// The URL fragment changed under the page (a link opened in this tab, Back or Forward):
    /// show its scenario, unless it is the page's own. The upload and the sweep choice stay.
    fn follow(&mut self, fragment: &str) {
        if self.link_fragment() == Some(fragment) {
            return;
        }
        let o = open(fragment);
        self.draft = o.draft;
        self.notice = o.error.map(Notice::BadLink);
        self.changed();
    }

    /// A user's own workload (an uploaded trace, the synthetic generator) runs as given: no
    /// window, rate ×1, no request limit, no long-input transform, until the user picks one.
    fn as_given(&mut self) {
        let wl = &mut self.draft.workload;
        *wl = WorkloadWire {
            source: wl.source.clone(),
            window_s: None,
            rate_scale: 1.0,
            max_requests: None,
            long_input: None,
        };
    }

    /// The scenario to run now, if the draft is valid and its trace is at hand.
    pub fn runnable(&self) -> Option<&ScenarioWire> {
        (self.invalid.is_none() && self.waiting_for_upload().is_none()).then_some(&self.draft)
    }

    /// The name of the uploaded trace the draft reads but the worker does not hold.
    pub fn waiting_for_upload(&self) -> Option<&str> {
        match &self.draft.workload.source {
            SourceWire::File { name, .. }
                if self.upload.as_ref().is_none_or(|u| &u.name != name) =>
            {
                Some(name)
            }
            _ => None,
        }
    }

    /// The link token of the draft (canonical: defaults left out), if the core accepts the
    /// draft.
    pub fn link_token(&self) -> Option<&str> {
        link::token_from_fragment(self.link_fragment()?)
    }

    /// The URL fragment of the page, `#s=<token>` (the calibration is part of the scenario);
    /// `None` if the core refuses the draft.
    pub fn link_fragment(&self) -> Option<&str> {
        self.link.as_deref()
    }

    /// The draft's calibration: the profile it names, or the default of its GPU when it names
    /// none (as the core reads it).
    pub fn calibration(&self) -> CalibrationWire {
        self.draft.calibration.clone().unwrap_or_else(|| {
            let gpu = self.draft.cluster.gpu.parse().unwrap_or(GpuKind::A100Sxm80);
            CalibrationWire::builtin(Scenario::default_calibration_id(gpu))
        })
    }

    /// Why the draft's calibration profile may not suit its GPU: the profile was measured on
    /// (or derived for) another GPU than the cluster's.
    pub fn calibration_warning(&self) -> Option<String> {
        let c = self.calibration();
        let profile_gpu = BuiltinProfile::find(&c.profile)?.gpu()?;
        let gpu: GpuKind = self.draft.cluster.gpu.parse().ok()?;
        (profile_gpu != gpu).then(|| {
            let own = BuiltinProfile::find(Scenario::default_calibration_id(gpu))
                .filter(|p| p.gpu() == Some(gpu))
                .map_or(String::new(), |p| format!("“{}” or ", p.label));
            format!(
                "This profile describes {} kernels, but the cluster has {} GPUs: its \
                 efficiencies may not transfer. Pick {own}the datasheet.",
                profile_gpu.spec().name,
                gpu.spec().name,
            )
        })
    }

    /// Reservation's pool as a fixed number of replicas that keeps today's size (the group
    /// one request of the pool's size gets), for switching the pool's mode.
    pub fn reservation_replicas(&self) -> ReservationPool {
        let n = self
            .derived
            .as_ref()
            .and_then(|d| d.reservation_group)
            .unwrap_or(1);
        ReservationPool::Replicas(n)
    }

    /// Re-validates the draft, computes its link and starts a new generation.
    fn changed(&mut self) {
        let scenario = Scenario::from_wire(&self.draft);
        self.link = scenario
            .as_ref()
            .ok()
            .map(|s| link::fragment(&link::encode_scenario(s)));
        self.derived = scenario.as_ref().ok().map(Derived::of);
        self.invalid = limits::check_wire(&self.draft)
            .and_then(|()| scenario.map_err(|e| e.to_string()))
            .and_then(|s| limits::check_scenario(&s))
            .err();
        self.notice = match (self.notice.take(), self.waiting_for_upload()) {
            (Some(Notice::BadLink(m)), _) => Some(Notice::BadLink(m)),
            (_, Some(name)) => Some(Notice::UploadNeeded(name.to_string())),
            _ => None,
        };
        self.generation += 1;
        let calibration = self.derived.as_ref().map(|d| d.calibration_label.clone());
        self.run
            .restart(self.generation, self.runnable().is_some(), calibration);
    }

    fn on_worker(&mut self, msg: FromWorker, at_ms: f64) {
        match msg {
            FromWorker::TraceLoaded {
                name,
                format,
                requests,
            } => {
                self.upload_status = UploadStatus::Idle;
                self.upload = Some(Upload {
                    name: name.clone(),
                    format: format.clone(),
                    requests,
                });
                self.draft.workload.source = SourceWire::File { name, format };
                self.as_given();
                self.changed();
            }
            FromWorker::TraceRejected { name, message } => {
                self.upload_status = UploadStatus::Failed { name, message };
            }
            other => self.run.on_message(other, at_ms),
        }
    }
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            Action::Edit(e) => {
                let to_synthetic = matches!(e, Edit::Source(SourceChoice::Synthetic))
                    && !matches!(s.draft.workload.source, SourceWire::Synthetic(_));
                let before = s.draft.clone();
                e.apply(&mut s.draft);
                if to_synthetic {
                    s.as_given();
                }
                if s.draft == before {
                    // Nothing changed (e.g. the same value committed again): no new run.
                    return self;
                }
                s.changed();
            }
            Action::FollowLink(fragment) => s.follow(&fragment),
            Action::Reset => {
                s.draft = Scenario::default_scenario().to_wire();
                s.notice = None;
                s.changed();
            }
            Action::UploadStarted(name) => s.upload_status = UploadStatus::Reading(name),
            Action::UploadFailed { name, message } => {
                s.upload_status = UploadStatus::Failed { name, message }
            }
            Action::RunSent { generation, at_ms } => s.run.sent(generation, at_ms),
            Action::Worker { msg, at_ms } => s.on_worker(msg, at_ms),
            Action::SweepOn(on) => {
                s.sweep_on = on;
                s.changed();
            }
            Action::DismissNotice => s.notice = None,
            Action::Stop => s.run.stop(),
        }
        Rc::new(s)
    }
}
