//! The results area: table, charts, sweep and export.

mod export_bar;
mod table;

pub use export_bar::ExportBar;
pub use table::ResultsTable;
