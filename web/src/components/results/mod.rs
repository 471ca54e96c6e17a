//! The results area: table, charts, sweep and export.

mod export_bar;
mod requests;
mod spread;
mod table;

pub use export_bar::ExportBar;
pub use requests::RequestsTable;
pub use spread::SeedSpread;
pub use table::ResultsTable;
