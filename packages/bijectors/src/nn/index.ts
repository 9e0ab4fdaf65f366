export { MLP, activate, ACTIVATIONS, type MLPOptions, type Activation } from './mlp.js';
