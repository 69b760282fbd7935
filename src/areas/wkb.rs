//! Outlines as OGC Well-Known Binary (little-endian 2D MultiPolygon, type 6): how the store keeps area geometry,
//! exact to the bit and readable by any GIS library.

use geo_types::{Coord, LineString, MultiPolygon, Polygon};

const LITTLE_ENDIAN: u8 = 1;
const WKB_POLYGON: u32 = 3;
const WKB_MULTIPOLYGON: u32 = 6;

/// Encode a multipolygon as WKB.
pub fn to_wkb(m: &MultiPolygon<f64>) -> Vec<u8> {
    let points: usize =
        m.0.iter().map(|p| p.exterior().0.len() + p.interiors().iter().map(|r| r.0.len()).sum::<usize>()).sum();
    let mut out = Vec::with_capacity(9 + m.0.len() * 9 + points * 16);
    out.push(LITTLE_ENDIAN);
    out.extend_from_slice(&WKB_MULTIPOLYGON.to_le_bytes());
    out.extend_from_slice(&(m.0.len() as u32).to_le_bytes());
    for p in &m.0 {
        out.push(LITTLE_ENDIAN);
        out.extend_from_slice(&WKB_POLYGON.to_le_bytes());
        out.extend_from_slice(&(1 + p.interiors().len() as u32).to_le_bytes());
        for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
            out.extend_from_slice(&(ring.0.len() as u32).to_le_bytes());
            for c in &ring.0 {
                out.extend_from_slice(&c.x.to_le_bytes());
                out.extend_from_slice(&c.y.to_le_bytes());
            }
        }
    }
    out
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let end = self.at + N;
        let s = self.bytes.get(self.at..end).ok_or_else(|| format!("WKB ends early at byte {}", self.at))?;
        self.at = end;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }
    fn u32(&mut self) -> Result<u32, String> {
        self.take::<4>().map(u32::from_le_bytes)
    }
    fn f64(&mut self) -> Result<f64, String> {
        self.take::<8>().map(f64::from_le_bytes)
    }
    fn header(&mut self, want: u32) -> Result<(), String> {
        let [order] = self.take::<1>()?;
        let kind = self.u32()?;
        if order != LITTLE_ENDIAN || kind != want {
            return Err(format!(
                "expected a little-endian WKB geometry of type {want}, found order {order} type {kind}"
            ));
        }
        Ok(())
    }
}

/// Decode what [`to_wkb`] wrote (little-endian 2D MultiPolygon).
pub fn from_wkb(bytes: &[u8]) -> Result<MultiPolygon<f64>, String> {
    let mut r = Reader { bytes, at: 0 };
    r.header(WKB_MULTIPOLYGON)?;
    let n = r.u32()?;
    let mut polys = Vec::new();
    for _ in 0..n {
        r.header(WKB_POLYGON)?;
        let rings = r.u32()?;
        let mut out: Vec<LineString<f64>> = Vec::new();
        for _ in 0..rings {
            let points = r.u32()? as usize;
            // Every point takes 16 bytes: refuse a count the remaining bytes cannot hold before allocating.
            if points > (bytes.len() - r.at) / 16 {
                return Err(format!("a ring claims {points} points, more than the WKB holds"));
            }
            let mut coords = Vec::with_capacity(points);
            for _ in 0..points {
                coords.push(Coord { x: r.f64()?, y: r.f64()? });
            }
            out.push(LineString::new(coords));
        }
        if out.is_empty() {
            return Err("a polygon with no rings".into());
        }
        let exterior = out.remove(0);
        polys.push(Polygon::new(exterior, out));
    }
    if r.at != bytes.len() {
        return Err(format!("{} bytes left after the geometry", bytes.len() - r.at));
    }
    Ok(MultiPolygon::new(polys))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_bit_for_bit_and_refuses_garbage() {
        let ring = |k: f64| {
            LineString::new(vec![
                Coord { x: -1.9 + k, y: 50.7 },
                Coord { x: -1.8 + k, y: 50.700_000_000_000_01 },
                Coord { x: -1.8 + k, y: 50.8 },
                Coord { x: -1.9 + k, y: 50.7 },
            ])
        };
        let m = MultiPolygon::new(vec![Polygon::new(ring(0.0), vec![ring(0.01)]), Polygon::new(ring(1.0), vec![])]);
        let b = to_wkb(&m);
        assert_eq!(from_wkb(&b).unwrap(), m);
        assert!(from_wkb(&b[..b.len() - 1]).is_err());
        assert!(from_wkb(&[]).is_err());
        let mut big = b.clone();
        big[9 + 9..9 + 9 + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(from_wkb(&big).is_err());
    }
}
