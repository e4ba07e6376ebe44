package dev.kiln.api.callbacks;

import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * A callback from lambdas, as Keras's {@code LambdaCallback}.
 *
 * {@snippet :
 * new LambdaCallback().onEpochEnd((epoch, logs) -> System.out.println(logs));
 * }
 */
public final class LambdaCallback extends Callback {
  private BiConsumer<Integer, Map<String, Double>> epochBegin = (e, l) -> {};
  private BiConsumer<Integer, Map<String, Double>> epochEnd = (e, l) -> {};
  private BiConsumer<Integer, Map<String, Double>> batchBegin = (e, l) -> {};
  private BiConsumer<Integer, Map<String, Double>> batchEnd = (e, l) -> {};
  private Consumer<Map<String, Double>> trainBegin = l -> {};
  private Consumer<Map<String, Double>> trainEnd = l -> {};

  /** Runs at each epoch's start. */
  public LambdaCallback onEpochBegin(BiConsumer<Integer, Map<String, Double>> f) {
    this.epochBegin = f;
    return this;
  }

  /** Runs at each epoch's end. */
  public LambdaCallback onEpochEnd(BiConsumer<Integer, Map<String, Double>> f) {
    this.epochEnd = f;
    return this;
  }

  /** Runs before each training batch. */
  public LambdaCallback onBatchBegin(BiConsumer<Integer, Map<String, Double>> f) {
    this.batchBegin = f;
    return this;
  }

  /** Runs after each training batch. */
  public LambdaCallback onBatchEnd(BiConsumer<Integer, Map<String, Double>> f) {
    this.batchEnd = f;
    return this;
  }

  /** Runs before training. */
  public LambdaCallback onTrainBegin(Consumer<Map<String, Double>> f) {
    this.trainBegin = f;
    return this;
  }

  /** Runs after training. */
  public LambdaCallback onTrainEnd(Consumer<Map<String, Double>> f) {
    this.trainEnd = f;
    return this;
  }

  @Override
  public void onEpochBegin(int epoch, Map<String, Double> logs) {
    epochBegin.accept(epoch, logs);
  }

  @Override
  public void onEpochEnd(int epoch, Map<String, Double> logs) {
    epochEnd.accept(epoch, logs);
  }

  @Override
  public void onTrainBatchBegin(int batch, Map<String, Double> logs) {
    batchBegin.accept(batch, logs);
  }

  @Override
  public void onTrainBatchEnd(int batch, Map<String, Double> logs) {
    batchEnd.accept(batch, logs);
  }

  @Override
  public void onTrainBegin(Map<String, Double> logs) {
    trainBegin.accept(logs);
  }

  @Override
  public void onTrainEnd(Map<String, Double> logs) {
    trainEnd.accept(logs);
  }
}
