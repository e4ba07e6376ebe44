package dev.kiln.api.layers;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.DTypePolicy;
import dev.kiln.api.Kiln;
import dev.kiln.api.layers.LayerTestSupport.LayerCase;
import dev.kiln.api.registry.Kind;
import dev.kiln.api.registry.Registry;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Every registered layer has a runLayerTest case in one of the layer test classes. */
class LayerCatalogueTest {
  /** The cases of every layer test class; a new layer family adds its class here. */
  static List<LayerCase> allCases() {
    List<LayerCase> all = new ArrayList<>();
    all.addAll(CoreLayersTest.cases());
    all.addAll(ReshapingImageLayersTest.cases());
    all.addAll(AttentionLayersTest.cases());
    all.addAll(NormalizationLayersTest.cases());
    all.addAll(RegularizationLayersTest.cases());
    all.addAll(ActivationLayersTest.cases());
    all.addAll(RecurrentLayersTest.cases());
    all.addAll(ConvolutionLayersTest.cases());
    all.addAll(PoolingLayersTest.cases());
    return all;
  }

  /**
   * Every layer case again with the global policy {@code mixed_float16}, then {@code
   * mixed_bfloat16}, on every backend: each layer builds with float32 weights, returns its compute
   * dtype ({@code runLayerTest} checks it), predicts and takes a training step, and its values meet
   * the case's checks.
   */
  @TestFactory
  Stream<DynamicTest> everyLayerRunsUnderTheMixedPolicies() {
    List<LayerCase> mixed = new ArrayList<>();
    for (DTypePolicy policy : List.of(DTypePolicy.MIXED_FLOAT16, DTypePolicy.MIXED_BFLOAT16)) {
      for (LayerCase c : allCases()) {
        mixed.add(
            new LayerCase(
                c.name() + " [" + policy.name() + "]",
                () -> {
                  Kiln.setDtypePolicy(policy);
                  try {
                    c.check().run();
                  } finally {
                    Kiln.setDtypePolicy(DTypePolicy.FLOAT32);
                  }
                }));
      }
    }
    return LayerTestSupport.onEveryBackend(mixed);
  }

  @Test
  void everyRegisteredLayerHasALayerTest() {
    Set<String> tested = new TreeSet<>();
    for (LayerCase c : allCases()) {
      tested.add(c.name().split(" ")[0]);
    }
    Set<String> untested = new TreeSet<>(Registry.builtInClassNames(Kind.LAYER));
    untested.removeAll(tested);
    // InputLayer is a source, not a layer one calls: FunctionalConfigTest covers it.
    untested.remove("InputLayer");
    assertTrue(untested.isEmpty(), "registered layers without a runLayerTest case: " + untested);
  }
}
