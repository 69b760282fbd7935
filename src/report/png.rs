//! A quick-look heatmap PNG of a grid surface (a density, count or z-score grid): one pixel per cell, north up.
//!
//! **Input.** `values` row-major with row 0 the **southernmost** row, as [`Grid`](crate::grid::Grid) lays them out;
//! the image's first row is the northernmost grid row, so the picture is north-up with west on the left.
//!
//! **Colour.** RGBA, 8 bits per channel, straight (not premultiplied) alpha. Cells that are zero, negative or not
//! finite are fully transparent, so the PNG can lie over a basemap. A positive value `v` is scaled to `t` in
//! `[0, 1]` against `max` (values above `max` saturate at 1):
//!
//! - [`Scale::Linear`]: `t = v / max`;
//! - [`Scale::Sqrt`]: `t = sqrt(v / max)`, which lifts low densities;
//! - [`Scale::Log`]: `t = ln(1 + 999 v / max) / ln(1000)`, three decades below `max` spread over the ramp.
//!
//! `t` picks a colour from the inferno colour map (van der Walt and Smith's perceptually uniform map for
//! matplotlib: black-purple through red and orange to pale yellow, with lightness rising monotonically), here
//! approximated by linear interpolation between 16 control points, entries 0, 17, 34, ..., 255 of matplotlib's
//! 256-entry `_inferno_data` table (`lib/matplotlib/_cm_listed.py`). Opacity rises linearly from 0.35 at `t = 0` to
//! 1 at `t = 1`, so sparse areas read as faint and dense ones as solid.
//!
//! **Default maximum.** Unless the style gives one, `max` is the 99.5th percentile (nearest rank) of the positive
//! finite values, so one extreme cell does not wash the rest of the map out; with fewer than 200 positive cells this
//! is the largest value. With no positive value at all the image is fully transparent and `max_value` is 0.
//!
//! **Size.** At most [`MAX_SIDE_PX`] pixels on a side (a larger grid is an error suggesting a larger cell size).
//! Rows are encoded as they are coloured, so memory beyond the input is one row plus the percentile's scratch copy
//! of the positive values. The output depends only on the input: the same grid gives the same bytes.

use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The largest image side, in pixels (cells).
pub(crate) const MAX_SIDE_PX: usize = 8192;

/// Opacity of the lowest positive value (the top of the ramp is fully opaque).
const MIN_ALPHA: f64 = 0.35;

/// Inferno (matplotlib `_inferno_data`, entries `17 i` for `i = 0..16`), sRGB in `[0, 1]`.
const INFERNO: [[f64; 3]; 16] = [
    [0.001462, 0.000466, 0.013866],
    [0.046915, 0.030324, 0.150164],
    [0.142378, 0.046242, 0.308553],
    [0.258234, 0.038571, 0.406485],
    [0.366529, 0.071579, 0.431994],
    [0.472328, 0.110547, 0.428334],
    [0.578304, 0.148039, 0.404411],
    [0.682656, 0.189501, 0.360757],
    [0.780517, 0.243327, 0.299523],
    [0.865006, 0.316822, 0.226055],
    [0.929644, 0.411479, 0.145367],
    [0.970919, 0.522853, 0.058367],
    [0.987622, 0.645320, 0.039886],
    [0.978806, 0.774545, 0.176037],
    [0.950018, 0.903409, 0.380271],
    [0.988362, 0.998364, 0.644924],
];

/// Errors writing a heatmap.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PngError {
    #[error("{values} values for a grid of {rows} rows x {cols} columns ({expected} cells)")]
    LengthMismatch { values: usize, rows: usize, cols: usize, expected: usize },
    #[error("the grid has {rows} rows x {cols} columns: a PNG needs at least one of each")]
    Empty { rows: usize, cols: usize },
    #[error(
        "a {cols} x {rows} grid is larger than the {max} x {max} pixels a heatmap PNG may have (one pixel per cell): \
         use a larger cell size or a smaller area"
    )]
    TooLarge { rows: usize, cols: usize, max: usize },
    #[error("the maximum value {0} is not a positive finite number")]
    BadMaxValue(f64),
    #[error("encoding the PNG: {0}")]
    Encode(#[from] png::EncodingError),
    #[error("writing the PNG: {0}")]
    Write(#[from] std::io::Error),
    #[error("writing {}: {source}", path.display())]
    File { path: PathBuf, source: std::io::Error },
}

/// How values map onto the colour ramp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Scale {
    #[default]
    Linear,
    Sqrt,
    Log,
}

impl std::str::FromStr for Scale {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "linear" => Ok(Scale::Linear),
            "sqrt" => Ok(Scale::Sqrt),
            "log" => Ok(Scale::Log),
            other => Err(format!("scale '{other}' is not linear, sqrt or log")),
        }
    }
}

impl Scale {
    /// `v / max` (positive) onto `[0, 1]`.
    fn apply(self, ratio: f64) -> f64 {
        let r = ratio.clamp(0.0, 1.0);
        match self {
            Scale::Linear => r,
            Scale::Sqrt => r.sqrt(),
            Scale::Log => (999.0 * r).ln_1p() / 1000f64.ln(),
        }
    }
}

/// The look of a heatmap.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub(crate) struct HeatmapStyle {
    pub scale: Scale,
    /// The value drawn at the top of the ramp; `None` = the 99.5th percentile of the positive values.
    pub max_value: Option<f64>,
}

/// What was drawn.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub(crate) struct HeatmapInfo {
    pub width: usize,
    pub height: usize,
    /// The value at the top of the colour ramp (0 when no cell was positive).
    pub max_value: f64,
}

/// The 99.5th percentile (nearest rank) of the positive finite values, or 0 when there are none.
fn default_max(values: &[f64]) -> f64 {
    let mut pos: Vec<f64> = values.iter().copied().filter(|v| v.is_finite() && *v > 0.0).collect();
    if pos.is_empty() {
        return 0.0;
    }
    // Nearest rank: ceil(0.995 n), in integers so that n = 200 gives exactly 199.
    let n = pos.len() as u64;
    let rank = (995 * n).div_ceil(1000) as usize;
    let k = rank.clamp(1, pos.len()) - 1;
    let (_, v, _) = pos.select_nth_unstable_by(k, f64::total_cmp);
    *v
}

/// The RGBA pixel of a value.
fn pixel(v: f64, max: f64, scale: Scale) -> [u8; 4] {
    if !(v.is_finite() && v > 0.0 && max > 0.0) {
        return [0; 4];
    }
    let t = scale.apply(v / max);
    let x = t * (INFERNO.len() - 1) as f64;
    let i = (x.floor() as usize).min(INFERNO.len() - 2);
    let f = x - i as f64;
    let (a, b) = (INFERNO[i], INFERNO[i + 1]);
    let ch = |c: usize| to_u8(a[c] + (b[c] - a[c]) * f);
    [ch(0), ch(1), ch(2), to_u8(MIN_ALPHA + (1.0 - MIN_ALPHA) * t)]
}

fn to_u8(x: f64) -> u8 {
    (x.clamp(0.0, 1.0) * 255.0).round() as u8
}

/// Encode a heatmap PNG of a grid surface to `out` (see the module docs for the layout and colours).
///
/// # Errors
/// [`PngError::LengthMismatch`] unless `values.len() == rows * cols`; [`PngError::Empty`] for no rows or columns;
/// [`PngError::TooLarge`] beyond [`MAX_SIDE_PX`] on a side; [`PngError::BadMaxValue`] for a given maximum that is not
/// positive and finite; [`PngError::Encode`] or [`PngError::Write`] when writing fails.
pub(crate) fn heatmap_png<W: Write>(
    values: &[f64],
    rows: usize,
    cols: usize,
    style: &HeatmapStyle,
    out: W,
) -> Result<HeatmapInfo, PngError> {
    let expected = rows.checked_mul(cols);
    if expected != Some(values.len()) {
        return Err(PngError::LengthMismatch { values: values.len(), rows, cols, expected: expected.unwrap_or(0) });
    }
    if rows == 0 || cols == 0 {
        return Err(PngError::Empty { rows, cols });
    }
    if rows > MAX_SIDE_PX || cols > MAX_SIDE_PX {
        return Err(PngError::TooLarge { rows, cols, max: MAX_SIDE_PX });
    }
    let max = match style.max_value {
        Some(m) if m.is_finite() && m > 0.0 => m,
        Some(m) => return Err(PngError::BadMaxValue(m)),
        None => default_max(values),
    };
    // Both sides are at most MAX_SIDE_PX, so they fit in u32.
    let mut enc = png::Encoder::new(out, cols as u32, rows as u32);
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header()?;
    let mut stream = writer.stream_writer()?;
    let mut line = vec![0u8; cols * 4];
    for src in values.chunks_exact(cols).rev() {
        for (px, &v) in line.chunks_exact_mut(4).zip(src) {
            px.copy_from_slice(&pixel(v, max, style.scale));
        }
        stream.write_all(&line)?;
    }
    stream.finish()?;
    writer.finish()?;
    Ok(HeatmapInfo { width: cols, height: rows, max_value: max })
}

/// Write a heatmap PNG to `path`: into a temporary file in the same folder, renamed over `path` only once complete,
/// so a reader never sees half an image and a failure leaves any previous file in place.
///
/// # Errors
/// As [`heatmap_png`], plus [`PngError::File`] naming the path when the file cannot be created or renamed.
pub(crate) fn write_heatmap_png(
    path: &Path,
    values: &[f64],
    rows: usize,
    cols: usize,
    style: &HeatmapStyle,
) -> Result<HeatmapInfo, PngError> {
    let file_err = |source: std::io::Error| PngError::File { path: path.to_path_buf(), source };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let tmp = crate::files::temp_in(dir, ".heatmap-").map_err(file_err)?;
    let mut buf = std::io::BufWriter::new(tmp);
    let info = heatmap_png(values, rows, cols, style, &mut buf)?;
    let tmp = buf.into_inner().map_err(|e| file_err(e.into_error()))?;
    tmp.as_file().sync_all().map_err(file_err)?;
    tmp.persist(path).map_err(|e| file_err(e.error))?;
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> (usize, usize, Vec<u8>) {
        let dec = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = dec.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.color_type, info.bit_depth), (png::ColorType::Rgba, png::BitDepth::Eight));
        buf.truncate(info.buffer_size());
        (info.width as usize, info.height as usize, buf)
    }

    fn render(values: &[f64], rows: usize, cols: usize, style: &HeatmapStyle) -> (HeatmapInfo, Vec<u8>) {
        let mut out = Vec::new();
        let info = heatmap_png(values, rows, cols, style, &mut out).unwrap();
        (info, out)
    }

    fn px(img: &[u8], width: usize, x: usize, y: usize) -> [u8; 4] {
        let i = (y * width + x) * 4;
        [img[i], img[i + 1], img[i + 2], img[i + 3]]
    }

    fn luminance(p: [u8; 4]) -> f64 {
        0.2126 * f64::from(p[0]) + 0.7152 * f64::from(p[1]) + 0.0722 * f64::from(p[2])
    }

    #[test]
    fn north_west_cell_is_the_top_left_pixel() {
        // 3 rows x 4 columns; row 2 is the north row, so the north-west cell is index 2 * 4 + 0.
        let (rows, cols) = (3, 4);
        let mut v = vec![0.0; rows * cols];
        v[2 * cols] = 5.0;
        let (info, bytes) = render(&v, rows, cols, &HeatmapStyle::default());
        assert_eq!((info.width, info.height, info.max_value), (4, 3, 5.0));
        let (w, h, img) = decode(&bytes);
        assert_eq!((w, h), (4, 3));
        assert_eq!(px(&img, w, 0, 0)[3], 255, "top-left must be the north-west cell, at full opacity");
        for y in 0..h {
            for x in 0..w {
                if (x, y) != (0, 0) {
                    assert_eq!(px(&img, w, x, y), [0; 4], "({x}, {y}) must be transparent");
                }
            }
        }
        // The south-east cell (index 3) lands bottom-right.
        let mut v = vec![0.0; rows * cols];
        v[3] = 1.0;
        let (_, bytes) = render(&v, rows, cols, &HeatmapStyle::default());
        let (w, h, img) = decode(&bytes);
        assert_ne!(px(&img, w, w - 1, h - 1)[3], 0);
    }

    #[test]
    fn zeros_negatives_and_non_finite_are_transparent() {
        let v = [0.0, -3.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 2.0];
        let (info, bytes) = render(&v, 1, 6, &HeatmapStyle::default());
        assert_eq!(info.max_value, 2.0);
        let (w, _, img) = decode(&bytes);
        for x in 0..5 {
            assert_eq!(px(&img, w, x, 0), [0; 4], "column {x}");
        }
        assert_eq!(px(&img, w, 5, 0)[3], 255);
        // All zero (or NaN): fully transparent, max 0, still a valid PNG.
        let (info, bytes) = render(&[0.0, f64::NAN, 0.0, 0.0], 2, 2, &HeatmapStyle::default());
        assert_eq!(info.max_value, 0.0);
        assert!(decode(&bytes).2.iter().all(|&b| b == 0));
    }

    #[test]
    fn brightness_and_opacity_rise_with_value_on_every_scale() {
        let v: Vec<f64> = (1..=64).map(f64::from).collect();
        for scale in [Scale::Linear, Scale::Sqrt, Scale::Log] {
            let style = HeatmapStyle { scale, max_value: Some(64.0) };
            let (_, bytes) = render(&v, 1, 64, &style);
            let (w, _, img) = decode(&bytes);
            let pixels: Vec<[u8; 4]> = (0..w).map(|x| px(&img, w, x, 0)).collect();
            for p in pixels.windows(2) {
                assert!(luminance(p[1]) >= luminance(p[0]), "{scale:?}: {:?} then {:?}", p[0], p[1]);
                assert!(p[1][3] >= p[0][3], "{scale:?}: alpha falls");
            }
            assert!(luminance(pixels[63]) > luminance(pixels[0]) + 150.0);
            assert_eq!(pixels[63][3], 255);
        }
        // Strictly, across the ramp's control points.
        let lum: Vec<f64> =
            (0..=32).map(|i| luminance(pixel(f64::from(i) / 32.0 + 1e-12, 1.0, Scale::Linear))).collect();
        assert!(lum.windows(2).all(|w| w[1] > w[0]), "{lum:?}");
        // The faint end: a tiny positive value is visible but faint (alpha ~0.35), the top is the ramp's last colour.
        assert_eq!(pixel(1e-9, 1.0, Scale::Linear), [0, 0, 4, 89]);
        assert_eq!(pixel(1.0, 1.0, Scale::Linear), [252, 255, 164, 255]);
        assert_eq!(pixel(10.0, 1.0, Scale::Sqrt), pixel(1.0, 1.0, Scale::Sqrt), "above max saturates");
        assert!(pixel(0.1, 1.0, Scale::Log)[3] > pixel(0.1, 1.0, Scale::Sqrt)[3]);
        assert!(pixel(0.1, 1.0, Scale::Sqrt)[3] > pixel(0.1, 1.0, Scale::Linear)[3]);
    }

    #[test]
    fn default_maximum_is_the_995th_percentile() {
        // 1000 positive cells 1..=1000 and one extreme: nearest rank ceil(0.995 * 1001) = 996 -> value 996.
        let mut v: Vec<f64> = (1..=1000).map(f64::from).collect();
        v.push(1e9);
        v.extend([0.0; 23]);
        let (info, _) = render(&v, 32, 32, &HeatmapStyle::default());
        assert_eq!(info.max_value, 996.0);
        // 200 positive cells: rank ceil(199.0) = 199 exactly, not 200 by rounding.
        let two_hundred: Vec<f64> = (1..=200).map(f64::from).collect();
        assert_eq!(default_max(&two_hundred), 199.0);
        assert_eq!(default_max(&[3.0, 0.0, 1.0]), 3.0);
        assert_eq!(default_max(&[]), 0.0);
        let (info, _) = render(&v, 32, 32, &HeatmapStyle { scale: Scale::Sqrt, max_value: Some(50.0) });
        assert_eq!(info.max_value, 50.0);
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let mut out = Vec::new();
        let s = HeatmapStyle::default();
        assert!(matches!(heatmap_png(&[1.0; 5], 2, 3, &s, &mut out), Err(PngError::LengthMismatch { .. })));
        assert!(matches!(heatmap_png(&[], usize::MAX, 2, &s, &mut out), Err(PngError::LengthMismatch { .. })));
        assert!(matches!(heatmap_png(&[], 0, 3, &s, &mut out), Err(PngError::Empty { .. })));
        let wide = vec![0.0; MAX_SIDE_PX + 1];
        let e = heatmap_png(&wide, 1, MAX_SIDE_PX + 1, &s, &mut out).unwrap_err();
        assert!(e.to_string().contains("larger cell size"), "{e}");
        for m in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let bad = HeatmapStyle { max_value: Some(m), ..s };
            assert!(matches!(heatmap_png(&[1.0], 1, 1, &bad, &mut out), Err(PngError::BadMaxValue(_))));
        }
        assert!(out.is_empty(), "nothing is written before the input is checked");
        assert_eq!("SQRT".parse::<Scale>(), Ok(Scale::Sqrt));
        assert!("cubic".parse::<Scale>().is_err());
    }

    #[test]
    fn writes_a_file_atomically_and_deterministically() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("heat.png");
        let v: Vec<f64> = (0..600).map(|i| f64::from((i * 37) % 11)).collect();
        let info = write_heatmap_png(&path, &v, 20, 30, &HeatmapStyle::default()).unwrap();
        assert_eq!((info.width, info.height), (30, 20));
        let bytes = std::fs::read(&path).unwrap();
        let (w, h, _) = decode(&bytes);
        assert_eq!((w, h), (30, 20));
        assert_eq!(render(&v, 20, 30, &HeatmapStyle::default()).1, bytes);
        // Only the PNG is left in the folder.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        // A failed write leaves the old file alone.
        assert!(write_heatmap_png(&path, &v, 2, 2, &HeatmapStyle::default()).is_err());
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        let missing = dir.path().join("no/such/dir/x.png");
        let e = write_heatmap_png(&missing, &v, 20, 30, &HeatmapStyle::default()).unwrap_err();
        assert!(e.to_string().contains("no/such/dir"), "{e}");
    }
}
