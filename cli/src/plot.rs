//! `accuracy.png`: test accuracy per epoch, one line per initializer (and,
//! below, the best of them on a closer range), drawn by plotters into an RGB
//! buffer and written as a PNG by hand (ISO/IEC 15948: signature, IHDR, one
//! zlib IDAT of filter-0 scanlines, IEND, each chunk with its CRC-32), so no
//! image crate enters the build. Labels use the DejaVu Sans font shipped in
//! `assets/` (Bitstream Vera license, see `assets/DejaVuSans-LICENSE.txt`).

use plotters::coord::Shift;
use plotters::prelude::*;
use std::io::Write;

const FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");
const WIDTH: u32 = 960;
/// Height of the panel of every curve on the full range.
const HEIGHT: u32 = 600;
/// Height of the panel below it that shows the best curves closer.
const ZOOM_HEIGHT: u32 = 400;
/// A curve is among the best when its final accuracy is within this much of
/// the best final accuracy.
const NEAR_BEST: f64 = 0.02;

/// The curves' colours: the Okabe–Ito palette (told apart with every common
/// kind of colour blindness) without its yellow, which is hard to see on
/// white, and its black, the axes' colour; then the darker of plotters' 99
/// colours (none of its yellows).
const COLORS: [RGBColor; 6] = [
    RGBColor(0x00, 0x72, 0xB2),
    RGBColor(0xD5, 0x5E, 0x00),
    RGBColor(0x00, 0x9E, 0x73),
    RGBColor(0xCC, 0x79, 0xA7),
    RGBColor(0xE6, 0x9F, 0x00),
    RGBColor(0x56, 0xB4, 0xE9),
];

/// The lightest colour a line may have, as a relative luminance: the
/// Okabe–Ito orange and sky blue are 0.64, yellows 0.8 and more.
const MAX_LUMINANCE: f64 = 0.7;

/// Relative luminance (ITU-R BT.709 weights) of `c`, from 0 (black) to 1.
fn luminance(c: &RGBAColor) -> f64 {
    (0.2126 * f64::from(c.0) + 0.7152 * f64::from(c.1) + 0.0722 * f64::from(c.2)) / 255.0
}

fn color(i: usize) -> RGBAColor {
    match COLORS.get(i) {
        Some(c) => c.to_rgba(),
        None => {
            let darker: Vec<RGBAColor> = (0..99)
                .map(|j| Palette99::pick(j).to_rgba())
                .filter(|c| luminance(c) < MAX_LUMINANCE)
                .collect();
            let k = i - COLORS.len();
            darker
                .iter()
                .cycle()
                .nth(k)
                .copied()
                .unwrap_or(BLACK.to_rgba())
        }
    }
}

/// One line of the plot: a label and the accuracy (in [0, 1]) after each epoch.
pub struct Line {
    /// Legend text.
    pub label: String,
    /// Accuracy after epoch 1, 2, ….
    pub accuracy: Vec<f64>,
    /// Whether a run stopped early (at a non-finite loss): the curve ends
    /// where it did and is left out of the closer panel, whose "best final
    /// accuracy" is that of complete studies.
    pub cut_short: bool,
}

/// Draws `lines` and returns the PNG bytes.
///
/// The upper panel shows every curve from the lowest accuracy's tenth to
/// 100 %. Where the best curves lie close together (the lesson's good
/// starts all end near 98 %, on an axis from 10 %), a lower panel shows
/// those within two points of the best final accuracy on a range of their
/// own, more than 4 times closer, so that they can be told apart.
pub fn accuracy_png(title: &str, lines: &[Line]) -> Result<Vec<u8>, String> {
    let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    let full = Panel {
        caption: title.to_string(),
        shown: (0..lines.len()).collect(),
        low: full_low(lines),
        high: 100.0,
        legend: true,
    };
    let zoom = zoom(lines, full.low);
    let height = HEIGHT + zoom.as_ref().map_or(0, |_| ZOOM_HEIGHT);
    let mut rgb = vec![0u8; WIDTH as usize * height as usize * 3];
    draw(&mut rgb, height, lines, &full, zoom.as_ref())
        .map_err(|e| format!("cannot draw the plot: {e}"))?;
    Ok(encode_png(&rgb, WIDTH, height))
}

/// One chart: which lines it shows on which range of accuracy (in %), and
/// whether it has a legend of its own.
struct Panel {
    caption: String,
    shown: Vec<usize>,
    low: f64,
    high: f64,
    legend: bool,
}

/// The most lines the lower panel's legend lists: more would cover most of
/// its plot (the lines keep the colours of the upper panel's legend).
const ZOOM_LEGEND_MAX: usize = 8;

/// The full panel's lower bound (%): the lowest finite accuracy's tenth,
/// at most 90 %.
fn full_low(lines: &[Line]) -> f64 {
    let lowest = lines
        .iter()
        .flat_map(|l| &l.accuracy)
        .copied()
        .filter(|a| a.is_finite())
        .fold(1.0, f64::min);
    ((lowest * 10.0).floor() / 10.0).clamp(0.0, 0.9) * 100.0
}

/// The lower panel, if it shows something the full one does not: of the
/// complete curves (not cut short, finite at every epoch), those whose
/// final accuracy is within [`NEAR_BEST`] of the best (at least two), on the
/// range of their values rounded out to half points, when that is under a
/// quarter of the full range (a closer look more than 4 times as close).
fn zoom(lines: &[Line], full_low: f64) -> Option<Panel> {
    let complete = |l: &&Line| !l.cut_short && l.accuracy.iter().all(|a| a.is_finite());
    let last = |l: &Line| l.accuracy.last().copied();
    let best = lines
        .iter()
        .filter(complete)
        .filter_map(last)
        .fold(f64::NAN, f64::max);
    let shown: Vec<usize> = (0..lines.len())
        .filter(|&i| complete(&&lines[i]) && last(&lines[i]).is_some_and(|a| a >= best - NEAR_BEST))
        .collect();
    if shown.len() < 2 {
        return None;
    }
    let values = shown.iter().flat_map(|&i| &lines[i].accuracy);
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &a| {
        (lo.min(a), hi.max(a))
    });
    let high = ((hi * 200.0).ceil() / 2.0).clamp(1.0, 100.0);
    let low = ((lo * 200.0).floor() / 2.0).min(high - 1.0);
    (high - low < (100.0 - full_low) / 4.0).then(|| Panel {
        caption: format!(
            "closer: the {} inits within {:.0} points of the best final accuracy",
            shown.len(),
            NEAR_BEST * 100.0
        ),
        legend: shown.len() <= ZOOM_LEGEND_MAX,
        shown,
        low,
        high,
    })
}

fn draw(
    rgb: &mut [u8],
    height: u32,
    lines: &[Line],
    full: &Panel,
    zoom: Option<&Panel>,
) -> Result<(), Box<dyn std::error::Error>> {
    let root = BitMapBackend::with_buffer(rgb, (WIDTH, height)).into_drawing_area();
    root.fill(&WHITE)?;
    let (upper, lower) = root.split_vertically(HEIGHT);
    draw_panel(&upper, lines, full, 24)?;
    if let Some(zoom) = zoom {
        draw_panel(&lower, lines, zoom, 18)?;
    }
    root.present()?;
    Ok(())
}

fn draw_panel(
    area: &DrawingArea<BitMapBackend<'_>, Shift>,
    lines: &[Line],
    panel: &Panel,
    caption_size: u32,
) -> Result<(), Box<dyn std::error::Error>> {
    let epochs = lines
        .iter()
        .map(|l| l.accuracy.len())
        .max()
        .unwrap_or(1)
        .max(2);
    // Whole points on the full range, tenths on a range of a few points.
    let decimals = usize::from(panel.high - panel.low < 10.0);
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.caption, ("sans-serif", caption_size))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(1.0..epochs as f64, panel.low..panel.high)?;
    chart
        .configure_mesh()
        .x_labels(epochs.min(16))
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y:.decimals$}"))
        .x_desc("epoch")
        .y_desc("test accuracy (%)")
        .label_style(("sans-serif", 15))
        .draw()?;
    for &i in &panel.shown {
        let line = &lines[i];
        let color = color(i);
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
    if !panel.legend {
        return Ok(());
    }
    let shown: Vec<&Line> = panel.shown.iter().map(|&i| &lines[i]).collect();
    chart
        .configure_series_labels()
        .position(legend_position(&shown, panel.low, panel.high))
        .label_font(("sans-serif", 15))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

/// Where the legend hides the fewest points: of the lower, middle and
/// upper thirds of the plot's right half (the legend's box spans about a
/// third of the height), the one holding the fewest accuracies, lower
/// first on a tie. (The lesson's study has its good starts near the top and
/// the constant one near the bottom: the middle is free.)
fn legend_position(lines: &[&Line], low: f64, high: f64) -> SeriesLabelPosition {
    let mut count = [0usize; 3];
    for line in lines {
        let half = line.accuracy.len() / 2;
        for &a in line.accuracy.iter().skip(half).filter(|a| a.is_finite()) {
            let t = ((a * 100.0 - low) / (high - low)).max(0.0);
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
        let (upper, lower) = pixels_of_line_by_panel(png, i);
        upper + lower
    }

    fn line(accuracy: Vec<f64>) -> Line {
        Line {
            label: "he-normal".into(),
            accuracy,
            cut_short: false,
        }
    }

    #[test]
    fn the_legend_goes_where_the_fewest_points_are() {
        // The lesson: good starts near 98 %, a constant one near 27 %, on
        // an axis from 10 %: the middle third of the right half is free.
        let (good, constant) = (
            line(vec![0.96, 0.97, 0.98, 0.98]),
            line(vec![0.19, 0.2, 0.27, 0.28]),
        );
        assert!(matches!(
            legend_position(&[&good, &constant], 10.0, 100.0),
            SeriesLabelPosition::MiddleRight
        ));
        // Every curve high: the lower right, as before.
        let high = line(vec![0.9, 0.97, 0.98]);
        assert!(matches!(
            legend_position(&[&high], 90.0, 100.0),
            SeriesLabelPosition::LowerRight
        ));
        // Curves low and in the middle: the upper right.
        let (low, middle) = (line(vec![0.2, 0.3]), line(vec![0.5, 0.55]));
        assert!(matches!(
            legend_position(&[&low, &middle], 10.0, 100.0),
            SeriesLabelPosition::UpperRight
        ));
        // On a zoomed range of 96–99 %, curves ending at 98.8 %: the
        // lower right.
        let top = line(vec![0.97, 0.985, 0.988, 0.988]);
        assert!(matches!(
            legend_position(&[&top, &top], 96.0, 99.0),
            SeriesLabelPosition::LowerRight
        ));
    }

    /// The lesson's six curves, as `compare` gives them (means of 3 seeds).
    fn lesson() -> Vec<Line> {
        vec![
            line(vec![0.865, 0.898, 0.912, 0.945]),
            line(vec![0.188, 0.205, 0.22, 0.274]),
            line(vec![0.962, 0.971, 0.974, 0.9793]),
            line(vec![0.960, 0.970, 0.975, 0.9790]),
            line(vec![0.963, 0.972, 0.976, 0.9781]),
            line(vec![0.961, 0.969, 0.973, 0.9772]),
        ]
    }

    #[test]
    fn the_best_curves_get_a_panel_of_their_own() {
        let lines = lesson();
        let zoom = zoom(&lines, full_low(&lines)).expect("a zoom on the four good starts");
        assert_eq!(zoom.shown, [2, 3, 4, 5]);
        // 96.0 % to 97.93 %, rounded out to half points.
        assert_eq!((zoom.low, zoom.high), (96.0, 98.0));
        assert!(
            zoom.caption.contains("the 4 inits within 2 points"),
            "{}",
            zoom.caption
        );
        // The normal start (94.5 %) ends 3.4 points below the best: left out.
        let mut close = lesson();
        close[0].accuracy[3] = 0.96;
        assert_eq!(zoom_of(&close), Some(vec![0, 2, 3, 4, 5]));
        // A curve that is NaN anywhere is left out; so is a NaN final.
        let mut nan = lesson();
        nan[2].accuracy[1] = f64::NAN;
        nan[3].accuracy[3] = f64::NAN;
        assert_eq!(zoom_of(&nan), Some(vec![4, 5]));
    }

    /// A curve cut short by a diverged run is left out of the closer panel
    /// and does not set its best: its last value is not a final accuracy.
    #[test]
    fn curves_cut_short_are_not_in_the_closer_panel() {
        let mut lines = vec![
            line(vec![0.95, 0.97, 0.975, 0.976, 0.977, 0.977]),
            line(vec![0.955, 0.968, 0.972, 0.975, 0.976, 0.977]),
            line(vec![0.91, 0.99]),
            line(vec![0.2, 0.3, 0.3, 0.3, 0.3, 0.3]),
        ];
        lines[2].cut_short = true;
        let z = zoom(&lines, full_low(&lines)).unwrap();
        assert_eq!(z.shown, [0, 1]);
        assert_eq!((z.low, z.high), (95.0, 98.0));
    }

    #[test]
    fn many_lines_keep_dark_colours_and_the_closer_legend_goes() {
        // None of the first 60 colours (the six Okabe–Ito ones, then
        // plotters') is as light as a yellow.
        for i in 0..60 {
            let c = color(i);
            assert!(luminance(&c) < MAX_LUMINANCE, "colour {i}: {c:?}");
        }
        let near = |n: usize| -> Vec<Line> {
            let mut lines: Vec<Line> = (0..n)
                .map(|i| line(vec![0.96, 0.97 + 0.001 * i as f64]))
                .collect();
            lines.push(line(vec![0.1, 0.2]));
            lines
        };
        let z = zoom(&near(ZOOM_LEGEND_MAX), 10.0).unwrap();
        assert!(z.legend && z.shown.len() == ZOOM_LEGEND_MAX);
        let z = zoom(&near(ZOOM_LEGEND_MAX + 1), 10.0).unwrap();
        assert!(!z.legend && z.shown.len() == ZOOM_LEGEND_MAX + 1);
    }

    fn zoom_of(lines: &[Line]) -> Option<Vec<usize>> {
        zoom(lines, full_low(lines)).map(|z| z.shown)
    }

    #[test]
    fn no_zoom_where_it_would_show_nothing_new() {
        // One curve, or one good curve: nothing to tell apart.
        assert_eq!(zoom_of(&lesson()[..1]), None);
        assert_eq!(zoom_of(&lesson()[1..3]), None);
        // Good curves that span more than a quarter of the full range: the
        // full panel shows them well enough.
        let wide = [line(vec![0.2, 0.97]), line(vec![0.5, 0.98])];
        assert_eq!(zoom_of(&wide), None);
        // deep5's two starts: 96–98.5 % of an axis from 90 %, no zoom; a
        // quarter point closer, a zoom.
        let deep5 = [line(vec![0.9644, 0.9813]), line(vec![0.9674, 0.9794])];
        assert_eq!(zoom_of(&deep5), None);
        let closer = [line(vec![0.9644, 0.98]), line(vec![0.9674, 0.9794])];
        assert_eq!(zoom_of(&closer), Some(vec![0, 1]));
        // Nothing finite at all.
        assert_eq!(zoom_of(&[line(vec![f64::NAN]), line(vec![])]), None);
        // Two curves at 100 %: a range of one point below it.
        let perfect = [line(vec![1.0, 1.0]), line(vec![1.0, 1.0])];
        let z = zoom(&perfect, full_low(&perfect)).unwrap();
        assert_eq!((z.low, z.high), (99.0, 100.0));
    }

    /// Height of a PNG, from its IHDR chunk.
    fn height(png: &[u8]) -> u32 {
        u32::from_be_bytes(chunks(png)[0].1[4..8].try_into().unwrap())
    }

    #[test]
    fn the_zoom_panel_shows_the_best_curves() {
        let png = accuracy_png("lesson", &lesson()).unwrap();
        assert_eq!(height(&png), HEIGHT + ZOOM_HEIGHT);
        // Each good curve is drawn in both panels; on the zoomed range its
        // line is longer, so most of its pixels are in the lower panel.
        for i in 2..6 {
            let (upper, lower) = pixels_of_line_by_panel(&png, i);
            assert!(
                lower > upper,
                "line {i}: {upper} pixels above, {lower} below"
            );
        }
        // The constant start is not in the lower panel.
        let (upper, lower) = pixels_of_line_by_panel(&png, 1);
        assert!(upper > 100 && lower == 0, "{upper} above, {lower} below");
        // Without a zoom, one panel.
        let png = accuracy_png("two", &lesson()[1..3]).unwrap();
        assert_eq!(height(&png), HEIGHT);
    }

    /// Pixels of `png` in the colour of line `i` in the upper panel and in
    /// the lower one (none when there is no lower panel).
    fn pixels_of_line_by_panel(png: &[u8], i: usize) -> (usize, usize) {
        let parts = chunks(png);
        let mut raw = Vec::new();
        flate2::read::ZlibDecoder::new(&parts[1].1[..])
            .read_to_end(&mut raw)
            .unwrap();
        let c = color(i);
        let count = |rows: &[u8]| {
            rows.chunks(WIDTH as usize * 3 + 1)
                .flat_map(|r| r[1..].chunks(3))
                .filter(|p| p == &[c.0, c.1, c.2])
                .count()
        };
        let (upper, lower) = raw.split_at(HEIGHT as usize * (WIDTH as usize * 3 + 1));
        (count(upper), count(lower))
    }

    #[test]
    fn a_curve_of_one_epoch_is_drawn() {
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
                cut_short: false,
            },
            Line {
                label: "constant:0.01".into(),
                accuracy: vec![0.11, 0.2, 0.35],
                cut_short: false,
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
