import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;

import java.io.PrintWriter;
import java.util.Arrays;

/**
 * Runs JUnit test classes without Maven, for the GPU machine (which has no Maven and no network): {@code java -cp ...
 * TestMain CLASS[#METHOD] ...}. Prints each test's outcome (a skip with its reason, a failure with its message) and a
 * summary; exits 1 if anything failed or nothing ran.
 */
public final class TestMain {
    public static void main(String[] args) {
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(Arrays.stream(args).map(a -> a.contains("#") ? DiscoverySelectors.selectMethod(a) : DiscoverySelectors.selectClass(a)).toList())
                .build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        TestExecutionListener each = new TestExecutionListener() {
            @Override public void executionSkipped(TestIdentifier t, String reason) {
                System.out.println("SKIPPED " + t.getDisplayName() + ": " + reason);
            }

            @Override public void executionFinished(TestIdentifier t, TestExecutionResult r) {
                if (!t.isTest() && r.getStatus() == TestExecutionResult.Status.SUCCESSFUL) return;
                System.out.println(r.getStatus() + " " + t.getDisplayName()
                        + r.getThrowable().map(e -> ": " + e).orElse(""));
            }
        };
        launcher.execute(request, summary, each);
        summary.getSummary().printTo(new PrintWriter(System.out));
        summary.getSummary().printFailuresTo(new PrintWriter(System.out), 30);
        long failed = summary.getSummary().getTotalFailureCount();
        System.exit(failed > 0 || summary.getSummary().getTestsSucceededCount() == 0 ? 1 : 0);
    }
}
