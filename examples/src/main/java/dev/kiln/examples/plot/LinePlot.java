package dev.kiln.examples.plot;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A line chart written as a PNG, matplotlib's {@code plt.plot(...); plt.savefig(...)} for the examples' loss curves:
 * <pre>{@code
 * new LinePlot("Loss", "step", "loss").series("SGD", losses).save(dir.resolve("loss.png"));
 * }</pre>
 * Renders with XChart off screen (the JVM runs headless, no display needed). Each series is a list of y values
 * plotted against 0, 1, 2, ... (or against given x values).
 */
public final class LinePlot {
    static {
        // No window is ever opened: render into an image even where there is no display.
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
    }

    /** matplotlib's default colour cycle ("tab10"), so the curves look like the tutorial's. */
    private static final Color[] COLORS = {
        new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728),
        new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f),
    };

    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final Map<String, double[][]> series = new LinkedHashMap<>();
    private int width = 800;
    private int height = 500;
    private boolean logY;
    private Double yMin, yMax;

    public LinePlot(String title, String xLabel, String yLabel) {
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
    }

    /** Adds a curve of {@code ys} against 0, 1, ..., n-1. */
    public LinePlot series(String name, double[] ys) {
        double[] xs = new double[ys.length];
        for (int i = 0; i < xs.length; i++) xs[i] = i;
        return series(name, xs, ys);
    }

    /** Adds a curve of {@code ys} against 0, 1, ..., n-1. */
    public LinePlot series(String name, List<? extends Number> ys) {
        double[] v = new double[ys.size()];
        for (int i = 0; i < v.length; i++) v[i] = ys.get(i).doubleValue();
        return series(name, v);
    }

    /** Adds a curve through the points (xs[i], ys[i]). */
    public LinePlot series(String name, double[] xs, double[] ys) {
        if (xs.length != ys.length) throw new IllegalArgumentException(name + ": " + xs.length + " x values but " + ys.length + " y values");
        if (ys.length == 0) throw new IllegalArgumentException(name + ": no values to plot");
        if (series.putIfAbsent(name, new double[][] {xs.clone(), ys.clone()}) != null) {
            throw new IllegalArgumentException("duplicate series name " + name);
        }
        return this;
    }

    /** Image size in pixels (default 800 x 500). */
    public LinePlot size(int width, int height) {
        this.width = width;
        this.height = height;
        return this;
    }

    /** A logarithmic y axis ({@code plt.yscale("log")}), for losses spanning orders of magnitude. */
    public LinePlot logY() {
        this.logY = true;
        return this;
    }

    /** Fixes the y axis to [min, max] ({@code plt.ylim((min, max))}); values outside are clipped. */
    public LinePlot yRange(double min, double max) {
        if (!(min < max)) throw new IllegalArgumentException("yRange needs min < max, got " + min + ", " + max);
        this.yMin = min;
        this.yMax = max;
        return this;
    }

    /**
     * Fails, saying what to install, when Java can't draw text here: it reads fonts through fontconfig, which minimal
     * server and container images lack (XChart would otherwise fail mid-render with "Fontconfig head is null").
     */
    public static void requireFonts() {
        String[] families;
        try {
            families = java.awt.GraphicsEnvironment.getLocalGraphicsEnvironment().getAvailableFontFamilyNames();
        } catch (RuntimeException | LinkageError | InternalError e) {
            throw new IllegalStateException(noFonts(e.toString()), e);
        }
        if (families.length == 0) throw new IllegalStateException(noFonts("no font families found"));
    }

    private static String noFonts(String why) {
        return "drawing a PNG needs fonts, and Java found none (" + why + "); install fontconfig and a font"
                + " (Debian/Ubuntu: apt-get install fontconfig fonts-dejavu-core)";
    }

    /** Writes the chart to {@code file} as a PNG, creating its directory if needed, and returns the file. */
    public Path save(Path file) throws IOException {
        requireFonts();
        XYChart chart = chart();
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null) Files.createDirectories(dir);
        try (OutputStream out = Files.newOutputStream(file)) {
            BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
        }
        return file;
    }

    /** Writes several charts side by side into one PNG {@code file} (which must end in .png). */
    public static Path saveSideBySide(Path file, LinePlot... plots) throws IOException {
        String name = file.toString();
        if (!name.endsWith(".png")) throw new IllegalArgumentException("expected a .png file name, got " + file);
        requireFonts();
        List<XYChart> charts = new ArrayList<>();
        for (LinePlot p : plots) charts.add(p.chart());
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null) Files.createDirectories(dir);
        BitmapEncoder.saveBitmap(charts, 1, charts.size(), name.substring(0, name.length() - 4), BitmapEncoder.BitmapFormat.PNG);
        return file;
    }

    private XYChart chart() {
        if (series.isEmpty()) throw new IllegalStateException("nothing to plot: add a series first");
        XYChart chart = new XYChartBuilder().width(width).height(height).title(title).xAxisTitle(xLabel).yAxisTitle(yLabel).build();
        XYStyler s = chart.getStyler();
        s.setLegendVisible(series.size() > 1);
        s.setLegendPosition(Styler.LegendPosition.InsideNE);
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setPlotGridLinesColor(new Color(0xe6e6e6));
        s.setPlotGridLinesStroke(new BasicStroke(1f));  // thin solid lines: dashed minor log lines look busy
        s.setYAxisLogarithmic(logY);
        s.setXAxisDecimalPattern("#");                  // 1740, not 1,740: long step axes stay legible
        if (!logY) s.setYAxisDecimalPattern("0.###");  // 0.08, not .08
        s.setYAxisMin(yMin);
        s.setYAxisMax(yMax);
        s.setPlotBorderColor(Color.DARK_GRAY);
        s.setLegendBorderColor(Color.LIGHT_GRAY);
        s.setSeriesColors(COLORS);
        s.setAntiAlias(true);
        for (Map.Entry<String, double[][]> e : series.entrySet()) {
            XYSeries line = chart.addSeries(e.getKey(), e.getValue()[0], e.getValue()[1]);
            line.setMarker(e.getValue()[0].length <= 30 ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
        }
        return chart;
    }

    /** The names of the series added so far, in order. */
    public List<String> seriesNames() { return new ArrayList<>(series.keySet()); }
}
