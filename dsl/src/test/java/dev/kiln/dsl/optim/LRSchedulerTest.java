package dev.kiln.dsl.optim;

import dev.kiln.dsl.nn.Linear;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Learning-rate schedules, with values from PyTorch 1.13 (StepLR(step_size=2, gamma=0.5), CosineAnnealingLR(T_max=4)). */
class LRSchedulerTest {
    @Test
    void stepLrHalvesEveryTwoEpochs() {
        SGD opt = new SGD(new Linear(2, 1).parameters(), 0.1);
        StepLR s = new StepLR(opt, 2, 0.5);
        double[] expected = {0.1, 0.05, 0.05, 0.025, 0.025};
        for (double e : expected) {
            s.step();
            assertEquals(e, opt.paramGroups().get(0).getLr(), 1e-12);
        }
    }

    @Test
    void cosineAnnealsToEtaMin() {
        SGD opt = new SGD(new Linear(2, 1).parameters(), 0.1);
        CosineAnnealingLR s = new CosineAnnealingLR(opt, 4);
        // PyTorch: [0.08535533905932738, 0.05, 0.014644660940672627, 0.0]
        double[] expected = {0.08535533905932738, 0.05, 0.014644660940672627, 0.0};
        for (double e : expected) {
            s.step();
            assertEquals(e, s.getLastLr().get(0), 1e-12);
        }
    }
}
