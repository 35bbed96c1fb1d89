package dev.kiln.examples;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's Kotlin and Java code blocks are the quick starts in QuickStartSpec.kt and QuickStartTest.java, which the
 * build compiles and runs: every line of every block must appear, in order, in one of them, so the README can't rot.
 */
class ReadmeTest {
    private static final Pattern BLOCK = Pattern.compile("```(kotlin|java)\\n(.*?)```", Pattern.DOTALL);

    @Test
    void codeBlocksAreTheCompiledQuickStarts() throws IOException {
        String readme = Files.readString(Path.of("..", "README.md"));
        String kotlin = Files.readString(Path.of("src/test/kotlin/dev/kiln/examples/QuickStartSpec.kt"));
        String java = Files.readString(Path.of("src/test/java/dev/kiln/examples/QuickStartTest.java"));
        Matcher m = BLOCK.matcher(readme);
        List<String> checked = new ArrayList<>();
        while (m.find()) {
            String source = m.group(1).equals("kotlin") ? kotlin : java;
            int at = 0;
            for (String line : m.group(2).strip().split("\\n")) {
                String l = line.strip();
                if (l.isEmpty() || l.startsWith("import ")) {
                    if (l.startsWith("import ")) assertTrue(source.contains(l), "README import not in the quick start: " + l);
                    continue;
                }
                int found = source.indexOf(l, at);
                assertTrue(found >= 0, "README " + m.group(1) + " line not in the compiled quick start (or out of order): " + l);
                at = found + l.length();
            }
            checked.add(m.group(1));
        }
        assertTrue(checked.contains("kotlin") && checked.contains("java"), "README needs a Kotlin and a Java quick start");
        assertFalse(checked.isEmpty());
    }
}
