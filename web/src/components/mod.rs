//! The page's components, one per file.

pub mod editor;
mod guide;
mod help;
mod notice;
pub mod results;
mod share;
mod status;

pub use guide::Guide;
pub use help::Help;
pub use notice::NoticeBar;
pub use share::SharePanel;
pub use status::RunStatus;
