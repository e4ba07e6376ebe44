/**
 * Recurrent layers: SimpleRNN, LSTM and GRU, their cells, the generic {@link
 * dev.kiln.api.layers.rnn.RNN} and {@link dev.kiln.api.layers.rnn.StackedRNNCells}, and the
 * wrappers {@link dev.kiln.api.layers.rnn.Bidirectional} and {@link
 * dev.kiln.api.layers.rnn.TimeDistributed}. Every recurrence is lowered to one {@code scan}, so a
 * compiled step holds the whole sequence and its gradient is the scan's reverse loop.
 */
package dev.kiln.api.layers.rnn;
