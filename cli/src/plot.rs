//! `accuracy.png`: test accuracy per epoch, one line per initializer, drawn by
//! plotters into an RGB buffer and written as a PNG by hand (ISO/IEC 15948:
//! signature, IHDR, one zlib IDAT of filter-0 scanlines, IEND, each chunk with
//! its CRC-32), so no image crate enters the build. Labels use the DejaVu Sans
//! font shipped in `assets/` (Bitstream Vera license, see
//! `assets/DejaVuSans-LICENSE.txt`).

use plotters::prelude::*;
use std::io::Write;

const FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");
const WIDTH: u32 = 960;
const HEIGHT: u32 = 600;

/// One line of the plot: a label and the accuracy (in [0, 1]) after each epoch.
pub struct Line {
    /// Legend text.
    pub label: String,
    /// Accuracy after epoch 1, 2, ….
    pub accuracy: Vec<f64>,
}

/// Draws `lines` and returns the PNG bytes.
pub fn accuracy_png(title: &str, lines: &[Line]) -> Result<Vec<u8>, String> {
    let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    let mut rgb = vec![0u8; WIDTH as usize * HEIGHT as usize * 3];
    draw(&mut rgb, title, lines).map_err(|e| format!("cannot draw the plot: {e}"))?;
    Ok(encode_png(&rgb, WIDTH, HEIGHT))
}

fn draw(rgb: &mut [u8], title: &str, lines: &[Line]) -> Result<(), Box<dyn std::error::Error>> {
    let epochs = lines
        .iter()
        .map(|l| l.accuracy.len())
        .max()
        .unwrap_or(1)
        .max(2);
    let lowest = lines
        .iter()
        .flat_map(|l| &l.accuracy)
        .copied()
        .filter(|a| a.is_finite())
        .fold(1.0, f64::min);
    let y_min = ((lowest * 10.0).floor() / 10.0).clamp(0.0, 0.9);
    let root = BitMapBackend::with_buffer(rgb, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 24))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(1.0..epochs as f64, y_min * 100.0..100.0)?;
    chart
        .configure_mesh()
        .x_labels(epochs.min(16))
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .x_desc("epoch")
        .y_desc("test accuracy (%)")
        .label_style(("sans-serif", 15))
        .draw()?;
    for (i, line) in lines.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        let points = line
            .accuracy
            .iter()
            .enumerate()
            .map(|(e, a)| ((e + 1) as f64, a * 100.0));
        // A dot on every epoch's value, so that a curve of one point (a
        // study of one epoch) shows too.
        chart.draw_series(points.clone().map(|p| Circle::new(p, 3, color.filled())))?;
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))?
            .label(line.label.as_str())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .position(legend_position(lines, y_min * 100.0))
        .label_font(("sans-serif", 15))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

/// Where the legend hides the fewest points: of the lower, middle and
/// upper thirds of the plot's right half (the legend's box spans about a
/// third of the height), the one holding the fewest accuracies, lower
/// first on a tie. (The lesson's study has its good starts near the top and
/// the constant one near the bottom: the middle is free.)
fn legend_position(lines: &[Line], y_min: f64) -> SeriesLabelPosition {
    let mut count = [0usize; 3];
    for line in lines {
        let half = line.accuracy.len() / 2;
        for &a in line.accuracy.iter().skip(half).filter(|a| a.is_finite()) {
            let t = (a * 100.0 - y_min) / (100.0 - y_min);
            count[((t * 3.0) as usize).min(2)] += 1;
        }
    }
    match (0..3).min_by_key(|&i| count[i]) {
        Some(1) => SeriesLabelPosition::MiddleRight,
        Some(2) => SeriesLabelPosition::UpperRight,
        _ => SeriesLabelPosition::LowerRight,
    }
}

/// A PNG chunk: length, type, data, CRC-32 of type and data.
fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(&crc.finalize().to_be_bytes());
}

/// Encodes 8-bit RGB pixels, row-major, as a PNG.
///
/// # Panics
/// If `rgb.len() != 3·width·height`.
pub fn encode_png(rgb: &[u8], width: u32, height: u32) -> Vec<u8> {
    let stride = width as usize * 3;
    assert_eq!(
        rgb.len(),
        stride * height as usize,
        "RGB buffer of another size"
    );
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    for row in rgb.chunks_exact(stride) {
        // Writing into a Vec cannot fail.
        let _ = z.write_all(&[0]);
        let _ = z.write_all(row);
    }
    let idat = z.finish().unwrap_or_default();
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8 bits, RGB, deflate, filter 0, no interlace
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &idat);
    chunk(&mut out, b"IEND", &[]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// Splits a PNG into chunks, checking every CRC.
    fn chunks(png: &[u8]) -> Vec<([u8; 4], Vec<u8>)> {
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let mut rest = &png[8..];
        let mut out = Vec::new();
        while !rest.is_empty() {
            let len = u32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
            let kind: [u8; 4] = rest[4..8].try_into().unwrap();
            let data = rest[8..8 + len].to_vec();
            let crc = u32::from_be_bytes(rest[8 + len..12 + len].try_into().unwrap());
            assert_eq!(
                crc,
                crc32fast::hash(&png[png.len() - rest.len() + 4..][..4 + len])
            );
            out.push((kind, data));
            rest = &rest[12 + len..];
        }
        out
    }

    #[test]
    fn png_round_trips_pixels() {
        let (w, h) = (5u32, 3u32);
        let rgb: Vec<u8> = (0..w * h * 3).map(|i| (i * 7 % 251) as u8).collect();
        let png = encode_png(&rgb, w, h);
        let parts = chunks(&png);
        let kinds: Vec<&[u8; 4]> = parts.iter().map(|(k, _)| k).collect();
        assert_eq!(kinds, [b"IHDR", b"IDAT", b"IEND"]);
        assert_eq!(parts[0].1, [0, 0, 0, 5, 0, 0, 0, 3, 8, 2, 0, 0, 0]);
        let mut raw = Vec::new();
        flate2::read::ZlibDecoder::new(&parts[1].1[..])
            .read_to_end(&mut raw)
            .unwrap();
        let rows: Vec<u8> = rgb
            .chunks(15)
            .flat_map(|r| std::iter::once(0).chain(r.iter().copied()))
            .collect();
        assert_eq!(raw, rows);
    }

    /// Pixels of `png` (drawn by [`accuracy_png`]) in the colour of line `i`.
    fn pixels_of_line(png: &[u8], i: usize) -> usize {
        let parts = chunks(png);
        let mut raw = Vec::new();
        flate2::read::ZlibDecoder::new(&parts[1].1[..])
            .read_to_end(&mut raw)
            .unwrap();
        let c = Palette99::pick(i).to_rgba();
        raw.chunks(WIDTH as usize * 3 + 1)
            .flat_map(|r| r[1..].chunks(3))
            .filter(|p| p == &[c.0, c.1, c.2])
            .count()
    }

    #[test]
    fn the_legend_goes_where_the_fewest_points_are() {
        let line = |accuracy: Vec<f64>| Line {
            label: String::new(),
            accuracy,
        };
        // The lesson: good starts near 98 %, a constant one near 27 %, on
        // an axis from 10 %: the middle third of the right half is free.
        let lesson = [
            line(vec![0.96, 0.97, 0.98, 0.98]),
            line(vec![0.19, 0.2, 0.27, 0.28]),
        ];
        assert!(matches!(
            legend_position(&lesson, 10.0),
            SeriesLabelPosition::MiddleRight
        ));
        // Every curve high: the lower right, as before.
        let high = [line(vec![0.9, 0.97, 0.98])];
        assert!(matches!(
            legend_position(&high, 90.0),
            SeriesLabelPosition::LowerRight
        ));
        // Curves low and in the middle: the upper right.
        let low = [line(vec![0.2, 0.3]), line(vec![0.5, 0.55])];
        assert!(matches!(
            legend_position(&low, 10.0),
            SeriesLabelPosition::UpperRight
        ));
    }

    #[test]
    fn a_curve_of_one_epoch_is_drawn() {
        let line = |accuracy: Vec<f64>| Line {
            label: "he-normal".into(),
            accuracy,
        };
        // The legend's sample alone, then with the one point.
        let legend = pixels_of_line(&accuracy_png("t", &[line(vec![])]).unwrap(), 0);
        let drawn = pixels_of_line(&accuracy_png("t", &[line(vec![0.95])]).unwrap(), 0);
        assert!(
            drawn >= legend + 20,
            "{drawn} pixels against {legend} for the legend"
        );
    }

    #[test]
    fn plot_draws_lines_and_text() {
        let lines = vec![
            Line {
                label: "xavier-uniform".into(),
                accuracy: vec![0.96, 0.975, 0.981],
            },
            Line {
                label: "constant:0.01".into(),
                accuracy: vec![0.11, 0.2, 0.35],
            },
        ];
        let png = accuracy_png("test", &lines).unwrap();
        let parts = chunks(&png);
        let mut raw = Vec::new();
        flate2::read::ZlibDecoder::new(&parts[1].1[..])
            .read_to_end(&mut raw)
            .unwrap();
        let non_white = raw
            .chunks(WIDTH as usize * 3 + 1)
            .flat_map(|r| r[1..].chunks(3))
            .filter(|p| p != &[255, 255, 255]);
        // Axes, labels and two lines cover a visible part of the image, but not most of it.
        let count = non_white.count();
        let total = (WIDTH * HEIGHT) as usize;
        assert!(
            count > total / 100 && count < total / 2,
            "{count} of {total} pixels drawn"
        );
    }
}
