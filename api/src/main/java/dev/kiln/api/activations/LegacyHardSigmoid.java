package dev.kiln.api.activations;

import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.spi.ir.Value;
import java.util.List;

/**
 * Keras 2's and TF.js's {@code hard_sigmoid}: {@code clip(0.2 * x + 0.5, 0, 1)}, registered as
 * {@code legacy_hard_sigmoid}. Keras 3 redefined {@code hard_sigmoid} as {@code relu6(x + 3) / 6}
 * (slope 1/6, saturating at +-3); Kiln's {@code hard_sigmoid} is Keras 3's, and the config reader
 * maps {@code hard_sigmoid} in Keras 2 and TF.js configs to this one, so a model trained there
 * keeps computing what it computed (the default recurrent activation of Keras 2's LSTM and GRU).
 * The TF.js writer writes it back as TF.js's {@code hard_sigmoid}.
 */
public final class LegacyHardSigmoid implements ActivationFunction {
  /** The registered name. */
  public static final String NAME = "legacy_hard_sigmoid";

  private static final LegacyHardSigmoid INSTANCE = new LegacyHardSigmoid();

  /** The declaration (no arguments), listed as {@link Activations#KERAS} lists its own. */
  public static final List<KerasClass<ActivationFunction>> KERAS =
      List.of(KerasClass.of(Kind.ACTIVATION, NAME, ActivationFunction.class, args -> INSTANCE));

  private LegacyHardSigmoid() {}

  @Override
  public Value apply(Ops ops, Value x) {
    return ops.minimum(ops.relu(ops.add(ops.mul(x, 0.2), 0.5)), 1);
  }

  @Override
  public String name() {
    return NAME;
  }
}
