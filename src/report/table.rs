//! A minimal aligned text table, and number formatting with thousands separators.

/// Column alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Right,
}

/// A text table: a header row and data rows, columns padded to their widest cell.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    header: Vec<String>,
    align: Vec<Align>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub(crate) fn new(columns: &[(&str, Align)]) -> Self {
        Table {
            header: columns.iter().map(|(h, _)| (*h).to_owned()).collect(),
            align: columns.iter().map(|(_, a)| *a).collect(),
            rows: Vec::new(),
        }
    }

    pub(crate) fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Render with two spaces between columns and a rule under the header; `indent` spaces before each line.
    pub(crate) fn render(&self, indent: usize) -> String {
        let ncols = self.header.len();
        let mut width: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for r in &self.rows {
            for (i, c) in r.iter().enumerate().take(ncols) {
                width[i] = width[i].max(c.chars().count());
            }
        }
        let pad = " ".repeat(indent);
        let line = |cells: &[String]| {
            let mut s = pad.clone();
            for (i, w) in width.iter().enumerate() {
                let c = cells.get(i).map_or("", String::as_str);
                let fill = " ".repeat(w.saturating_sub(c.chars().count()));
                if i > 0 {
                    s.push_str("  ");
                }
                match self.align[i] {
                    Align::Left if i + 1 == ncols => s.push_str(c),
                    Align::Left => {
                        s.push_str(c);
                        s.push_str(&fill);
                    }
                    Align::Right => {
                        s.push_str(&fill);
                        s.push_str(c);
                    }
                }
            }
            s.trim_end().to_owned()
        };
        let mut out = line(&self.header);
        out.push('\n');
        out.push_str(&pad);
        out.push_str(&"-".repeat(width.iter().sum::<usize>() + 2 * ncols.saturating_sub(1)));
        out.push('\n');
        for r in &self.rows {
            out.push_str(&line(r));
            out.push('\n');
        }
        out
    }
}

pub(crate) use crate::model::text::thousands;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align() {
        let mut t = Table::new(&[("name", Align::Left), ("n", Align::Right)]);
        assert!(t.is_empty());
        t.row(vec!["Burglary".into(), "12".into()]);
        t.row(vec!["ASB".into(), "1,024".into()]);
        assert_eq!(t.render(0), "name          n\n---------------\nBurglary     12\nASB       1,024\n");
    }
}
