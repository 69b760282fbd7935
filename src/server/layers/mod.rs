//! The tile layers, one file each, and the registry that lists them.
//!
//! A layer is a [`LayerDef`]: its description for people and for the page ([`LayerInfo`]: name, title, help, zoom
//! range, fields, the parameters it reads, whether public mode serves it, and how the page draws it and writes its
//! legend), the request its tiles answer (a [`Params`] type of [`crate::analysis::spec`]), and how one tile is built.
//! TileJSON, the 404 list of layers, `/api/meta` and the page's layer list all come from [`registry`], so adding a
//! layer is one file here and one line in [`registry`]; the page needs no change.
//!
//! Building a tile is index lookup, clip and encode over an analysis computed once per request and cached (the
//! heavy work happens at the first tile of a request; see [`super::context::Context`]).

mod areas;
pub mod cells;
mod change;
mod density;
mod emerging;
mod gistar;
mod hex;
mod hotspots;
mod incidents;
mod labels;
mod nearrepeat;

use super::context::Context;
use super::error::AppError;
use crate::analysis::spec::{Params, all_docs, canonical, from_pairs};
use crate::tiles::{TileId, TileLayer};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

pub use incidents::CLUSTER_BELOW_ZOOM;

/// What the page and TileJSON are told about a layer.
#[derive(Debug, Clone, Serialize)]
pub struct LayerInfo {
    /// The layer's name: `/tiles/{name}/{z}/{x}/{y}.mvt`, and the MVT layer inside each tile.
    pub name: String,
    /// A plain-words title for the layer list.
    pub title: String,
    /// One sentence saying what it shows.
    pub help: String,
    /// Lowest zoom its tiles are served at.
    pub minzoom: u8,
    /// Highest zoom its tiles are built at (the map overzooms beyond).
    pub maxzoom: u8,
    /// Feature properties and their TileJSON types (`Number`, `String`).
    pub fields: BTreeMap<&'static str, &'static str>,
    /// The request parameters its tiles read (others are ignored).
    pub params: Vec<&'static str>,
    /// Where the page offers it: `map` (always) or `compare` (with two windows).
    pub mode: &'static str,
    /// Drawing order, bottom first.
    pub order: u32,
    /// Whether the page shows it when it first opens.
    pub default_on: bool,
    /// How the page draws it and writes its legend (see `assets/layers.js`): `kind` is one of `sequential` (a fill
    /// coloured by `property` over `colours`, class breaks from the values in view), `classes` (a fill coloured by
    /// the value of `property`: `classes` lists value, colour and label), `diverging` (a fill coloured by the sign
    /// and size of `property`), `outline` (outlines with a label), `points` (circles sized by `count`).
    pub style: Value,
}

/// One tile layer.
pub trait LayerDef: Send + Sync + 'static {
    /// The request its tiles answer.
    type Spec: Params + Send + Sync;
    /// Its description (fields as public mode serves them when `public`).
    fn info(&self, public: bool) -> LayerInfo;
    /// Whether public mode serves it.
    fn public(&self) -> bool {
        true
    }
    /// Checks made once, when the page asks for the layer's TileJSON (a request the data cannot answer fails there,
    /// not in every tile).
    fn check(&self, _ctx: &Context, _spec: &Self::Spec) -> Result<(), AppError> {
        Ok(())
    }
    /// One tile.
    fn build(&self, ctx: &Context, spec: &Self::Spec, t: TileId) -> Result<TileLayer, AppError>;
}

/// A layer behind its request type, as the registry holds it.
pub trait TileSource: Send + Sync {
    /// Its description (fields as public mode serves them when `public`).
    fn info(&self, public: bool) -> LayerInfo;
    /// Whether public mode serves it.
    fn public(&self) -> bool;
    /// Read a request's query string (the token and other layers' parameters passed over) into the canonical
    /// form of this layer's request: the tile cache key and the query of its tile URLs.
    fn canonical(&self, raw: Option<&str>) -> Result<String, AppError>;
    /// Checks made once when its TileJSON is asked for (see [`LayerDef::check`]).
    fn check(&self, ctx: &Context, canonical: &str) -> Result<(), AppError>;
    /// One tile of the request whose canonical form is `canonical`.
    fn build(&self, ctx: &Context, canonical: &str, t: TileId) -> Result<TileLayer, AppError>;
}

/// A request of type `P` from a raw query string: the access token is not a parameter, and parameters of other
/// requests (pages share one query string between routes) are passed over; anything else unknown is a 400.
pub fn parse<P: Params>(raw: Option<&str>) -> Result<P, AppError> {
    let pairs: Vec<(String, String)> =
        form_urlencoded::parse(raw.unwrap_or("").as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let known = |k: &str| k == "token" || known_parameter(k);
    let p: P = from_pairs(pairs.iter().filter(|(k, _)| k != "token").map(|(k, v)| (k.as_str(), v.as_str())), known)?;
    Ok(p)
}

/// Whether any request takes a parameter of this name.
fn known_parameter(name: &str) -> bool {
    static NAMES: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    NAMES.get_or_init(|| all_docs().into_iter().map(|d| d.name).collect()).contains(&name)
}

impl<L: LayerDef> TileSource for L {
    fn info(&self, public: bool) -> LayerInfo {
        let mut i = LayerDef::info(self, public);
        i.params = L::Spec::docs().into_iter().map(|d| d.name).collect();
        i
    }

    fn public(&self) -> bool {
        LayerDef::public(self)
    }

    fn canonical(&self, raw: Option<&str>) -> Result<String, AppError> {
        Ok(canonical(&parse::<L::Spec>(raw)?))
    }

    fn check(&self, ctx: &Context, canonical: &str) -> Result<(), AppError> {
        LayerDef::check(self, ctx, &parse::<L::Spec>(Some(canonical))?)
    }

    fn build(&self, ctx: &Context, canonical: &str, t: TileId) -> Result<TileLayer, AppError> {
        LayerDef::build(self, ctx, &parse::<L::Spec>(Some(canonical))?, t)
    }
}

/// Every layer this server offers: the built-in ones, then one per boundary layer.
pub fn registry(ctx: &Context) -> Vec<Box<dyn TileSource>> {
    let mut v: Vec<Box<dyn TileSource>> = vec![
        Box::new(incidents::Incidents),
        Box::new(density::Density),
        Box::new(hotspots::Hotspots),
        Box::new(hex::Hex),
        Box::new(gistar::GiStar),
        Box::new(change::Change),
        Box::new(emerging::Emerging),
        Box::new(labels::Labels),
        Box::new(nearrepeat::NearRepeat),
    ];
    for (index, a) in ctx.areas.iter().enumerate() {
        v.push(Box::new(areas::Areas { index, name: format!("areas-{}", a.name), title: a.name.clone() }));
    }
    v
}

/// TileJSON fields from a list.
pub(crate) fn fields(list: &[(&'static str, &'static str)]) -> BTreeMap<&'static str, &'static str> {
    list.iter().copied().collect()
}
