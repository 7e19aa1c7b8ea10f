// Package metric measures how well a network's feedback weights stand in
// for its forward weights (docs/rules.md §8): per untied layer, the angles
// between W and B, between the projections of the batch through them,
// between the errors they send down, between the rule's W update and the
// exact backprop gradient, and the norm ratio ‖B‖/‖W‖. On the backprop
// route the weights that carry the error are W itself, so its angles are 0.
package metric
