export { MLP, activate, ACTIVATIONS, type MLPOptions, type Activation } from './mlp.js';
export { tanh as secondOrderTanh, sigmoid as secondOrderSigmoid, elu as secondOrderElu } from './activations.js';
