//! A markdown table that prints the same on a terminal and in docs/benchmarks.md:
//! [`Table`].

use std::fmt;

/// Rows of cells under a header; the first column is left-aligned, the rest right.
#[derive(Clone, Debug, Default)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column names.
    #[must_use]
    pub fn new(header: &[&str]) -> Table {
        Table {
            header: header.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; missing cells are left empty, extra cells are kept.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cols = self
            .rows
            .iter()
            .map(Vec::len)
            .chain([self.header.len()])
            .max()
            .unwrap_or(0);
        let cell = |r: &[String], i: usize| r.get(i).cloned().unwrap_or_default();
        let width: Vec<usize> = (0..cols)
            .map(|i| {
                self.rows
                    .iter()
                    .map(|r| cell(r, i).chars().count())
                    .chain([cell(&self.header, i).chars().count(), 3])
                    .max()
                    .unwrap_or(3)
            })
            .collect();
        let line = |f: &mut fmt::Formatter<'_>, r: &[String]| -> fmt::Result {
            write!(f, "|")?;
            for (i, w) in width.iter().enumerate() {
                if i == 0 {
                    write!(f, " {:<w$} |", cell(r, i))?;
                } else {
                    write!(f, " {:>w$} |", cell(r, i))?;
                }
            }
            writeln!(f)
        };
        line(f, &self.header)?;
        write!(f, "|")?;
        for (i, w) in width.iter().enumerate() {
            let dashes = "-".repeat(w.saturating_sub(1));
            if i == 0 {
                write!(f, " :{dashes} |")?;
            } else {
                write!(f, " {dashes}: |")?;
            }
        }
        writeln!(f)?;
        for r in &self.rows {
            line(f, r)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_aligned_markdown() {
        let mut t = Table::new(&["n", "value"]);
        t.row(vec!["a".to_owned(), "12".to_owned()]);
        t.row(vec!["bbb".to_owned()]);
        assert_eq!(
            t.to_string(),
            "| n   | value |\n| :-- | ----: |\n| a   |    12 |\n| bbb |       |\n"
        );
    }
}
