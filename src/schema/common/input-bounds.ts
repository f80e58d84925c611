import {
  type DocumentNode,
  type FragmentDefinitionNode,
  getArgumentValues,
  getNamedType,
  getOperationAST,
  type GraphQLArgument,
  type GraphQLCompositeType,
  type GraphQLInputField,
  type GraphQLInputType,
  type GraphQLSchema,
  isCompositeType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  Kind,
  type SelectionSetNode,
} from 'graphql';
import { ValidationError, type ValidationIssue } from '../../domain/errors.js';
import { type InputProblem, listProblem, stringProblem } from '../../domain/input-limits.js';

/**
 * Bounds an argument or input field declares in its `extensions`, read by the safety net below:
 * `maxItems` for a list (default DEFAULT_MAX_ITEMS), `multiline` for free text that may hold
 * tabs and line breaks (other control characters are refused everywhere).
 */
export type InputBounds = {
  maxItems?: number;
  multiline?: boolean;
};

/** The `extensions` that declare bounds, typed, for Pothos field options. */
export function bounds(value: InputBounds): { extensions: InputBounds } {
  return { extensions: value };
}

/** Enough to tell the client what to fix, without walking a hostile input to its end. */
const MAX_ISSUES = 10;

function boundsOf(definition: GraphQLArgument | GraphQLInputField): InputBounds {
  return (definition.extensions ?? {}) as InputBounds;
}

/**
 * Checks one value of an input type against the hard bounds, adding an issue per offending
 * string or list at its path. A list over its bound is refused before any item is looked at.
 */
export function collectInputIssues(value: unknown, type: GraphQLInputType, declared: InputBounds, path: string[], issues: ValidationIssue[]): void {
  if (issues.length >= MAX_ISSUES || value === null || value === undefined) return;
  const add = (problem: InputProblem | null) => {
    if (problem) issues.push({ field: path, messageKey: problem.messageKey, params: problem.params });
  };
  if (isNonNullType(type)) {
    collectInputIssues(value, type.ofType, declared, path, issues);
  } else if (isListType(type)) {
    if (!Array.isArray(value)) {
      // GraphQL takes a single value where a list is expected.
      collectInputIssues(value, type.ofType, { multiline: declared.multiline }, path, issues);
      return;
    }
    const tooMany = listProblem(value.length, declared.maxItems);
    if (tooMany) return add(tooMany);
    value.forEach((item, index) => collectInputIssues(item, type.ofType, { multiline: declared.multiline }, [...path, String(index)], issues));
  } else if (isInputObjectType(type)) {
    if (typeof value !== 'object') return;
    for (const field of Object.values(type.getFields())) {
      if (field.name in value) collectInputIssues((value as Record<string, unknown>)[field.name], field.type, boundsOf(field), [...path, field.name], issues);
    }
  } else if (isScalarType(type) && typeof value === 'string') {
    add(stringProblem(value, { id: type.name === 'ID', multiline: declared.multiline }));
  }
}

/** A mutation's `input` checked against the hard bounds: a typed ValidationError with every path. */
export function checkInputBounds(value: unknown, type: GraphQLInputType): void {
  const issues: ValidationIssue[] = [];
  collectInputIssues(value, type, {}, [], issues);
  const [first, ...rest] = issues;
  if (first) throw new ValidationError([first, ...rest]);
}

/**
 * The arguments of every field an operation selects, checked against the hard bounds before it
 * runs (so before any ID is decoded or row read). The root fields of a mutation are left out:
 * their `input` is checked by `defineMutation`, which answers a typed result instead.
 */
export function operationBoundsError(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
): ValidationError | null {
  const operation = getOperationAST(document, operationName);
  if (!operation) return null;
  const rootType = schema.getRootType(operation.operation);
  if (!rootType) return null;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const issues: ValidationIssue[] = [];
  const visitedFragments = new Set<string>();

  const visit = (selectionSet: SelectionSetNode, parentType: GraphQLCompositeType) => {
    for (const selection of selectionSet.selections) {
      if (issues.length >= MAX_ISSUES) return;
      if (selection.kind === Kind.FIELD) {
        if (!isObjectType(parentType) && !isInterfaceType(parentType)) continue;
        const field = parentType.getFields()[selection.name.value];
        if (!field) continue;
        const skipArguments = operation.operation === 'mutation' && parentType === rootType;
        if (!skipArguments && field.args.length > 0) {
          let values: Record<string, unknown>;
          try {
            values = getArgumentValues(field, selection, (variables ?? {}) as Record<string, unknown>);
          } catch {
            // Not coercible: execution reports it as graphql-js does.
            values = {};
          }
          for (const argument of field.args) {
            if (argument.name in values) collectInputIssues(values[argument.name], argument.type, boundsOf(argument), [argument.name], issues);
          }
        }
        const named = getNamedType(field.type);
        if (selection.selectionSet && isCompositeType(named)) visit(selection.selectionSet, named);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parentType;
        if (type && isCompositeType(type)) visit(selection.selectionSet, type);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (!fragment || visitedFragments.has(name)) continue;
        visitedFragments.add(name);
        const type = schema.getType(fragment.typeCondition.name.value);
        if (type && isCompositeType(type)) visit(fragment.selectionSet, type);
      }
    }
  };
  visit(operation.selectionSet, rootType);
  const [first, ...rest] = issues;
  return first ? new ValidationError([first, ...rest]) : null;
}
