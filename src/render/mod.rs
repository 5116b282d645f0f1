//! Rendering helpers shared by the templates: askama filters, and the small
//! view types (a star rating, a release date) that partials display.

pub(crate) mod body_images;
pub(crate) mod filters;
pub(crate) mod views;
