/**
 * The controllers the operator runs while leader. Each controller package adds its factory to
 * this list (one import and one entry).
 */
import { migrationControllerFactory } from '../migration/controller.ts';
import { edgeNodeFactory } from '../edgenode/factory.ts';
import { triggerFactory } from '../trigger/factory.ts';
import type { ControllerFactory } from './context.ts';

export const controllerFactories: ControllerFactory[] = [
  migrationControllerFactory,
  triggerFactory,
  edgeNodeFactory,
];
