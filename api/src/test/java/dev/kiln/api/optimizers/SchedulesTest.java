package dev.kiln.api.optimizers;

import static dev.kiln.api.ApiTestSupport.assertClose;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.api.optimizers.schedules.LearningRateSchedule;
import dev.kiln.api.optimizers.schedules.Schedules;
import org.junit.jupiter.api.Test;

/** Learning-rate schedules at chosen steps, computed by hand from Keras's documented formulas. */
class SchedulesTest {
  @Test
  void exponentialDecay() {
    LearningRateSchedule s = Schedules.exponentialDecay(0.1, 10, 0.5, false);
    assertClose("0", 0.1, s.at(0), 1e-12);
    assertClose("5", 0.1 * Math.sqrt(0.5), s.at(5), 1e-12);
    assertClose("20", 0.025, s.at(20), 1e-12);
    LearningRateSchedule st = Schedules.exponentialDecay(0.1, 10, 0.5, true);
    assertClose("staircase 15", 0.05, st.at(15), 1e-12);
  }

  @Test
  void piecewiseConstant() {
    LearningRateSchedule s =
        Schedules.piecewiseConstantDecay(new long[] {10, 20}, new double[] {1, 0.5, 0.1});
    assertClose("10", 1, s.at(10), 0);
    assertClose("11", 0.5, s.at(11), 0);
    assertClose("21", 0.1, s.at(21), 0);
    assertThrows(
        IllegalArgumentException.class,
        () -> Schedules.piecewiseConstantDecay(new long[] {1}, new double[] {1}));
  }

  @Test
  void polynomial() {
    LearningRateSchedule s = Schedules.polynomialDecay(1.0, 10, 0.0, 2.0, false);
    assertClose("5", 0.25, s.at(5), 1e-12); // (1 - 0.5)^2
    assertClose("after end", 0.0, s.at(50), 1e-12);
    LearningRateSchedule c = Schedules.polynomialDecay(1.0, 10, 0.0, 1.0, true);
    assertClose("cycle 15", 0.25, c.at(15), 1e-12); // horizon 20: 1 - 15/20
  }

  @Test
  void inverseTime() {
    LearningRateSchedule s = Schedules.inverseTimeDecay(1.0, 10, 0.5, false);
    assertClose("10", 1 / 1.5, s.at(10), 1e-12);
    LearningRateSchedule st = Schedules.inverseTimeDecay(1.0, 10, 0.5, true);
    assertClose("staircase 19", 1 / 1.5, st.at(19), 1e-12);
  }

  @Test
  void cosineWithWarmup() {
    LearningRateSchedule s = Schedules.cosineDecay(1.0, 100, 0.1);
    assertClose("half", 0.55, s.at(50), 1e-12); // 0.9 * 0.5 + 0.1
    assertClose("end", 0.1, s.at(100), 1e-12);
    LearningRateSchedule w = Schedules.cosineDecay(0.0, 100, 0.0, 1.0, 10L);
    assertClose("warmup 5", 0.5, w.at(5), 1e-12);
    assertClose("peak", 1.0, w.at(10), 1e-12);
    assertClose("decay half", 0.5, w.at(60), 1e-12);
  }

  @Test
  void cosineRestarts() {
    LearningRateSchedule s = Schedules.cosineDecayRestarts(1.0, 10, 2.0, 0.5, 0.0);
    assertClose("start", 1.0, s.at(0), 1e-12);
    assertClose("mid first", 0.5, s.at(5), 1e-12);
    // the second period starts at step 10, lasts 20 steps, peaks at m_mul = 0.5
    assertClose("restart", 0.5, s.at(10), 1e-12);
    assertClose("mid second", 0.25, s.at(20), 1e-12);
  }
}
