//! Test helpers: a seeded random source, and two independent ways of reading the tiles we write: mvt-reader (the
//! decoder the tests must pass), and a strict minimal protobuf reader that checks the MVT 2.1 command sequence
//! itself (mvt-reader is lenient: it closes rings for us and skips commands it does not expect).

use mvt_reader::Reader;
use mvt_reader::feature::Feature;

/// SplitMix64: a tiny deterministic random source, so tests need no RNG crate API.
pub(super) struct Lcg(u64);

impl Lcg {
    pub(super) fn new(seed: u64) -> Self {
        Lcg(seed)
    }

    pub(super) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[low, high)`.
    pub(super) fn uniform(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64)
    }
}

/// The features of the only layer of a tile, decoded by mvt-reader with integer coordinates; also checks the
/// layer's name, extent and version.
pub(super) fn decode_features(bytes: &[u8], name: &str) -> Vec<Feature<i32>> {
    let reader = Reader::new(bytes.to_vec()).expect("mvt-reader parses the tile");
    let layers = reader.get_layer_metadata().expect("layer metadata");
    assert_eq!(layers.len(), 1, "one layer per tile");
    assert_eq!(layers[0].name, name);
    assert_eq!(layers[0].extent, 4096);
    assert_eq!(layers[0].version, 2);
    reader.get_features_as::<i32>(0).expect("mvt-reader decodes the features")
}

/// One field of a protobuf message.
#[derive(Debug, Clone, Copy)]
pub(super) enum Field<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    /// A fixed 32- or 64-bit value (not used in vector tiles; skipped).
    Fixed,
}

fn varint(buf: &[u8], pos: &mut usize) -> u64 {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = buf[*pos];
        *pos += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            break;
        }
    }
    value
}

/// The fields of a protobuf message, in order, as `(field number, value)`.
pub(super) fn fields(buf: &[u8]) -> Vec<(u64, Field<'_>)> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < buf.len() {
        let key = varint(buf, &mut pos);
        let value = match key & 7 {
            0 => Field::Varint(varint(buf, &mut pos)),
            1 => {
                pos += 8;
                Field::Fixed
            }
            2 => {
                let len = varint(buf, &mut pos) as usize;
                pos += len;
                Field::Bytes(&buf[pos - len..pos])
            }
            5 => {
                pos += 4;
                Field::Fixed
            }
            wire => panic!("unexpected wire type {wire}"),
        };
        out.push((key >> 3, value));
    }
    out
}

/// A layer as written, read straight from the protobuf (vector_tile.proto: Tile.layers = 3; Layer.name = 1,
/// features = 2, keys = 3, values = 4, extent = 5, version = 15; Feature.tags = 2, type = 3, geometry = 4).
#[derive(Debug)]
pub(super) struct RawLayer {
    pub keys: Vec<String>,
    pub value_count: usize,
    /// Each feature's geometry type (1 point, 3 polygon), tags and geometry commands.
    pub features: Vec<(u64, Vec<u32>, Vec<u32>)>,
}

fn packed_u32(buf: &[u8]) -> Vec<u32> {
    let mut pos = 0;
    let mut out = Vec::new();
    while pos < buf.len() {
        out.push(u32::try_from(varint(buf, &mut pos)).expect("u32"));
    }
    out
}

pub(super) fn raw_layer(tile: &[u8]) -> RawLayer {
    let layers: Vec<&[u8]> = fields(tile)
        .into_iter()
        .filter_map(|(n, f)| match (n, f) {
            (3, Field::Bytes(b)) => Some(b),
            _ => None,
        })
        .collect();
    assert_eq!(layers.len(), 1);
    let mut raw = RawLayer { keys: Vec::new(), value_count: 0, features: Vec::new() };
    for (n, f) in fields(layers[0]) {
        match (n, f) {
            (3, Field::Bytes(b)) => raw.keys.push(String::from_utf8(b.to_vec()).expect("utf-8 key")),
            (4, Field::Bytes(_)) => raw.value_count += 1,
            (2, Field::Bytes(feature)) => {
                let (mut kind, mut tags, mut geometry) = (0, Vec::new(), Vec::new());
                for (n, f) in fields(feature) {
                    match (n, f) {
                        (2, Field::Bytes(b)) => tags = packed_u32(b),
                        (3, Field::Varint(v)) => kind = v,
                        (4, Field::Bytes(b)) => geometry = packed_u32(b),
                        _ => {}
                    }
                }
                raw.features.push((kind, tags, geometry));
            }
            _ => {}
        }
    }
    raw
}

fn zigzag(v: u32) -> i32 {
    ((v >> 1) as i32) ^ -((v & 1) as i32)
}

/// The rings of a polygon geometry, checking the MVT 2.1 command grammar strictly (section 4.3.4.4): each ring is
/// exactly `MoveTo(1)`, `LineTo(n >= 2)`, `ClosePath(1)`. Rings are returned open, as encoded.
pub(super) fn strict_polygon_rings(geometry: &[u32]) -> Vec<Vec<[i32; 2]>> {
    let (mut rings, mut cursor, mut pos) = (Vec::new(), [0i32, 0i32], 0);
    let point = |pos: &mut usize, cursor: &mut [i32; 2]| {
        cursor[0] += zigzag(geometry[*pos]);
        cursor[1] += zigzag(geometry[*pos + 1]);
        *pos += 2;
        *cursor
    };
    while pos < geometry.len() {
        assert_eq!(geometry[pos], (1 << 3) | 1, "ring must start with MoveTo(1) at {pos}: {geometry:?}");
        pos += 1;
        let mut ring = vec![point(&mut pos, &mut cursor)];
        let (command, count) = (geometry[pos] & 7, geometry[pos] >> 3);
        assert!(command == 2 && count >= 2, "MoveTo must be followed by LineTo(n >= 2): {geometry:?}");
        pos += 1;
        for _ in 0..count {
            ring.push(point(&mut pos, &mut cursor));
        }
        assert_eq!(geometry[pos], (1 << 3) | 7, "ring must end with ClosePath(1): {geometry:?}");
        pos += 1;
        rings.push(ring);
    }
    rings
}

/// Twice the signed area of an open ring by the surveyor's (shoelace) formula, `Σ x_i·y_{i+1} − x_{i+1}·y_i`. In
/// tile coordinates (y down) a positive value means clockwise on screen: an MVT exterior ring.
pub(super) fn area2(ring: &[[i32; 2]]) -> i64 {
    (0..ring.len())
        .map(|i| {
            let (a, b) = (ring[i], ring[(i + 1) % ring.len()]);
            i64::from(a[0]) * i64::from(b[1]) - i64::from(b[0]) * i64::from(a[1])
        })
        .sum()
}

/// Checks every invariant of a clean MVT ring: at least 3 vertices, no two consecutive equal (including the last
/// and the first: the ring is open), integer coordinates within the buffered tile, and non-zero area.
pub(super) fn assert_clean_ring(ring: &[[i32; 2]]) {
    assert!(ring.len() >= 3, "ring too short: {ring:?}");
    for i in 0..ring.len() {
        assert_ne!(ring[i], ring[(i + 1) % ring.len()], "repeated vertex at {i}: {ring:?}");
        for v in ring[i] {
            assert!((-64..=4160).contains(&v), "vertex outside the buffer: {ring:?}");
        }
    }
    assert_ne!(area2(ring), 0, "zero-area ring: {ring:?}");
}

/// The rings of an mvt-reader polygon feature (which closes each ring by repeating its first point), opened again.
pub(super) fn reader_rings(feature: &Feature<i32>) -> Vec<Vec<Vec<[i32; 2]>>> {
    let geo_types::Geometry::MultiPolygon(mp) = &feature.geometry else {
        panic!("mvt-reader returns polygons as a MultiPolygon, got {:?}", feature.geometry)
    };
    let open = |ls: &geo_types::LineString<i32>| {
        let mut ring: Vec<[i32; 2]> = ls.0.iter().map(|c| [c.x, c.y]).collect();
        assert_eq!(ring.first(), ring.last(), "mvt-reader closes rings");
        ring.pop();
        ring
    };
    mp.0.iter().map(|p| std::iter::once(open(p.exterior())).chain(p.interiors().iter().map(open)).collect()).collect()
}
