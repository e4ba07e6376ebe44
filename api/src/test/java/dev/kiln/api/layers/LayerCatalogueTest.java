package dev.kiln.api.layers;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.layers.LayerTestSupport.LayerCase;
import dev.kiln.api.registry.Kind;
import dev.kiln.api.registry.Registry;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

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
