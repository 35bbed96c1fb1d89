package dev.kiln.dsl.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.*;

class IdxTest {
    @TempDir Path dir;

    @Test void ubyteRoundTripRawAndGzip() throws IOException {
        byte[] values = new byte[3 * 4 * 5];
        for (int i = 0; i < values.length; i++) values[i] = (byte) (i * 7);
        Idx.Array a = Idx.Array.ofUbytes(new int[] {3, 4, 5}, values);
        for (boolean gz : new boolean[] {false, true}) {
            Path f = dir.resolve(gz ? "a.idx.gz" : "a.idx");
            Idx.write(f, a, gz);
            byte[] onDisk = Files.readAllBytes(f);
            assertEquals(gz, (onDisk[0] & 0xff) == 0x1f && (onDisk[1] & 0xff) == 0x8b);
            if (!gz) {
                assertEquals(16 + 60, onDisk.length);
                assertArrayEquals(new byte[] {0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5}, Arrays.copyOf(onDisk, 16));
            }
            Idx.Array b = Idx.read(f);
            assertEquals(Idx.UBYTE, b.type());
            assertArrayEquals(new int[] {3, 4, 5}, b.dims());
            assertEquals(60, b.numel());
            for (int i = 0; i < values.length; i++) {
                assertEquals(values[i] & 0xff, b.ubyte(i));
                assertEquals(values[i] & 0xff, b.get(i));
            }
        }
    }

    @Test void gzipIsDetectedByContentNotName() throws IOException {
        Idx.Array a = Idx.Array.ofUbytes(new int[] {2}, new byte[] {(byte) 200, 1});
        Path gzNamedRaw = dir.resolve("x.gz");
        Idx.write(gzNamedRaw, a, false);
        Path rawNamedGz = dir.resolve("x-ubyte");
        Idx.write(rawNamedGz, a, true);
        assertEquals(200, Idx.read(gzNamedRaw).get(0));
        assertEquals(1, Idx.read(rawNamedGz).get(1));
    }

    @Test void otherTypesRoundTrip() throws IOException {
        double[] v = {-3, 0, 1.5, 1e6, -2.25, 7};
        for (int type : new int[] {Idx.BYTE, Idx.SHORT, Idx.INT, Idx.FLOAT, Idx.DOUBLE}) {
            Path f = dir.resolve("t" + type);
            Idx.write(f, Idx.Array.of(type, new int[] {2, 3}, v), true);
            Idx.Array r = Idx.read(f);
            assertEquals(type, r.type());
            assertArrayEquals(new int[] {2, 3}, r.dims());
            for (int i = 0; i < v.length; i++) {
                double expected = switch (type) {
                    case Idx.BYTE -> (byte) (long) v[i];
                    case Idx.SHORT -> (short) (long) v[i];
                    case Idx.INT -> (int) (long) v[i];
                    case Idx.FLOAT -> (float) v[i];
                    default -> v[i];
                };
                assertEquals(expected, r.get(i), "type " + type + " element " + i);
            }
        }
    }

    private Path rawFile(String name, byte[] bytes) throws IOException {
        Path f = dir.resolve(name);
        Files.write(f, bytes);
        return f;
    }

    private static byte[] validBytes() {
        return Idx.encode(Idx.Array.ofUbytes(new int[] {2, 3}, new byte[] {1, 2, 3, 4, 5, 6}));
    }

    private IOException fails(Path f) {
        IOException e = assertThrows(IOException.class, () -> Idx.read(f));
        assertTrue(e.getMessage().contains(f.toString()), "message names the file: " + e.getMessage());
        return e;
    }

    @Test void truncatedDataIsReported() throws IOException {
        byte[] ok = validBytes();
        Path f = rawFile("short-ubyte", Arrays.copyOf(ok, ok.length - 1));
        IOException e = fails(f);
        assertTrue(e.getMessage().contains("truncated") && e.getMessage().contains("should be " + ok.length + " bytes but is " + (ok.length - 1)), e.getMessage());
    }

    @Test void trailingDataIsReported() throws IOException {
        byte[] ok = validBytes();
        IOException e = fails(rawFile("long-ubyte", Arrays.copyOf(ok, ok.length + 3)));
        assertTrue(e.getMessage().contains("trailing data"), e.getMessage());
    }

    @Test void truncatedHeaderIsReported() throws IOException {
        assertTrue(fails(rawFile("h1", new byte[] {0, 0, 8})).getMessage().contains("shorter than the 4-byte header"));
        assertTrue(fails(rawFile("h2", Arrays.copyOf(validBytes(), 9))).getMessage().contains("truncated IDX header"));
    }

    @Test void badMagicTypeAndDims() throws IOException {
        byte[] b = validBytes();
        b[0] = 0x50;
        assertTrue(fails(rawFile("magic", b)).getMessage().contains("not an IDX file"));
        b = validBytes();
        b[2] = 0x07;
        assertTrue(fails(rawFile("type", b)).getMessage().contains("unknown IDX element type 0x7"));
        b = validBytes();
        b[3] = 0;
        assertTrue(fails(rawFile("ndims", b)).getMessage().contains("0 dimensions"));
        b = validBytes();
        b[4] = (byte) 0x80;
        assertTrue(fails(rawFile("negdim", b)).getMessage().contains("negative"));
    }

    @Test void truncatedAndCorruptGzip() throws IOException {
        Path good = dir.resolve("good.gz");
        Idx.write(good, Idx.Array.ofUbytes(new int[] {1000}, new byte[1000]), true);
        byte[] gz = Files.readAllBytes(good);
        IOException e = fails(rawFile("cut.gz", Arrays.copyOf(gz, gz.length / 2)));
        assertTrue(e.getMessage().contains("truncated gzip"), e.getMessage());
        byte[] bad = gz.clone();
        bad[3] = (byte) 0xff; // reserved flag bits set
        e = fails(rawFile("bad.gz", bad));
        assertTrue(e.getMessage().contains("gzip"), e.getMessage());
        // a gzip whose content is not IDX is reported as such
        Path notIdx = dir.resolve("text.gz");
        try (var out = new GZIPOutputStream(Files.newOutputStream(notIdx))) {
            out.write("hello world".getBytes());
        }
        assertTrue(fails(notIdx).getMessage().contains("not an IDX file"));
    }

    @Test void missingFile() {
        Path f = dir.resolve("nope-ubyte");
        IOException e = assertThrows(IOException.class, () -> Idx.read(f));
        assertTrue(e.getMessage().contains(f.toString()));
    }
}
