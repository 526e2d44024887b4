/*
 * CloudFormation's intrinsic functions, evaluated the way CloudFormation would at deploy time, but
 * into local values: a queue's `Ref` becomes its URL at the local SQS endpoint, a function's
 * `Fn::GetAtt Arn` its local ARN. Only the properties the runtime uses are ever resolved (a
 * function's Role never is), so an unresolvable reference in a part the runtime ignores is no
 * reason to refuse a stage.
 */
import { LocalAwsError } from '../model.ts';

/** Which property of which resource is being resolved: named in every error. */
export interface Where {
  logicalId: string;
  /** e.g. 'Environment.Variables.AUDIT_QUEUE_URL' */
  property: string;
}

/** A resource's `Ref` (attribute 'Ref') or `Fn::GetAtt` attribute, as a local value. */
export type AttributeLookup = (target: string, attribute: string, where: Where) => string;

export interface CfnTemplate {
  Parameters?: Record<string, { Default?: unknown }>;
  Conditions?: Record<string, unknown>;
  Resources?: Record<string, CfnResourceEntry>;
}

export interface CfnResourceEntry {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
  Condition?: string;
}

/** `AWS::NoValue`: the property is left out, as if the template had not set it. */
const NO_VALUE = Symbol('AWS::NoValue');

export class Intrinsics {
  constructor(
    private readonly template: CfnTemplate,
    /** AWS::Region, AWS::AccountId, AWS::Partition, AWS::URLSuffix, AWS::StackName… */
    private readonly pseudoParameters: Record<string, string>,
    private readonly attribute: AttributeLookup,
  ) {}

  /** Resolves every intrinsic inside a value; `undefined` when it is `AWS::NoValue`. */
  resolve(value: unknown, where: Where): unknown {
    const resolved = this.walk(value, where);
    return resolved === NO_VALUE ? undefined : resolved;
  }

  /** Resolves a value that must end up a string (numbers and booleans are written as text). */
  string(value: unknown, where: Where): string {
    const resolved = this.resolve(value, where);
    if (typeof resolved === 'string') return resolved;
    if (typeof resolved === 'number' || typeof resolved === 'boolean') return String(resolved);
    throw new LocalAwsError(
      `${where.logicalId}.${where.property} does not resolve to a string (${JSON.stringify(resolved)})`,
      where.logicalId,
      where.property,
    );
  }

  /** Whether a named condition of the template holds. */
  condition(name: string, where: Where): boolean {
    const definition = this.template.Conditions?.[name];
    if (definition === undefined) {
      throw new LocalAwsError(
        `${where.logicalId}.${where.property} uses condition ${name}, which the template does not define`,
        where.logicalId,
        where.property,
      );
    }
    return this.truth(definition, where);
  }

  private walk(value: unknown, where: Where): unknown {
    if (Array.isArray(value)) {
      return value.map((item) => this.walk(item, where)).filter((item) => item !== NO_VALUE);
    }
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value);
    const [only] = entries;
    if (entries.length === 1 && only !== undefined && isIntrinsic(only[0])) {
      return this.intrinsic(only[0], only[1], where);
    }
    const result: Record<string, unknown> = {};
    for (const [key, item] of entries) {
      const resolved = this.walk(item, where);
      if (resolved !== NO_VALUE) result[key] = resolved;
    }
    return result;
  }

  private intrinsic(name: string, argument: unknown, where: Where): unknown {
    switch (name) {
      case 'Ref':
        return this.ref(this.text(argument, where), where);
      case 'Fn::GetAtt':
        return this.getAtt(argument, where);
      case 'Fn::Join': {
        const [delimiter, items] = this.pair(name, argument, where);
        return this.list(items, where)
          .map((item) => this.text(item, where))
          .join(this.text(delimiter, where));
      }
      case 'Fn::Sub':
        return this.sub(argument, where);
      case 'Fn::Select': {
        const [index, items] = this.pair(name, argument, where);
        const list = this.list(items, where);
        const position = Number(this.walk(index, where));
        if (!Number.isInteger(position) || position < 0 || position >= list.length) {
          throw this.error(`Fn::Select index ${position} is outside its list`, where);
        }
        return list[position];
      }
      case 'Fn::Split': {
        const [delimiter, text] = this.pair(name, argument, where);
        return this.text(text, where).split(this.text(delimiter, where));
      }
      case 'Fn::Base64':
        return Buffer.from(this.text(argument, where)).toString('base64');
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = this.list(argument, where, false);
        return this.condition(String(condition), where)
          ? this.walk(whenTrue, where)
          : this.walk(whenFalse, where);
      }
      case 'Fn::Equals':
      case 'Fn::Not':
      case 'Fn::And':
      case 'Fn::Or':
      case 'Condition':
        return this.truth({ [name]: argument }, where);
      default:
        // Fn::ImportValue (another stack's output), Fn::GetAZs, Fn::FindInMap, Fn::Cidr…: the
        // course's stages do not use them in anything the runtime serves.
        throw this.error(`${name} is not resolved by the local runtime`, where);
    }
  }

  private ref(target: string, where: Where): unknown {
    if (target === 'AWS::NoValue') return NO_VALUE;
    const pseudo = this.pseudoParameters[target];
    if (pseudo !== undefined) return pseudo;
    if (target.startsWith('AWS::')) throw this.error(`${target} has no local value`, where);
    const parameter = this.template.Parameters?.[target];
    if (parameter !== undefined) {
      if (parameter.Default === undefined) {
        throw this.error(
          `parameter ${target} has no default, and the local runtime passes none`,
          where,
        );
      }
      return parameter.Default;
    }
    return this.attribute(target, 'Ref', where);
  }

  private getAtt(argument: unknown, where: Where): string {
    // ["Queue", "Arn"], ["Database", "Endpoint.Address"] or the short form "Queue.Arn".
    const resolved =
      typeof argument === 'string' ? argument.split('.') : this.list(argument, where);
    const [target, ...attribute] = resolved.map((part) => this.text(part, where));
    if (target === undefined || attribute.length === 0) {
      throw this.error(`malformed Fn::GetAtt ${JSON.stringify(argument)}`, where);
    }
    return this.attribute(target, attribute.join('.'), where);
  }

  /** `Fn::Sub: "text ${Name} ${Name.Attr} ${!Literal}"` or `[text, { Name: value }]`. */
  private sub(argument: unknown, where: Where): string {
    const [template, variables] = Array.isArray(argument) ? argument : [argument, {}];
    const values = this.walk(variables, where) as Record<string, unknown>;
    return this.text(template, where).replace(/\$\{([^}]*)\}/g, (_match, name: string) => {
      if (name.startsWith('!')) return `\${${name.slice(1)}}`;
      const given = values[name];
      if (given !== undefined) return this.text(given, where);
      if (name.includes('.') && !name.startsWith('AWS::')) {
        const [target = '', ...attribute] = name.split('.');
        return this.attribute(target, attribute.join('.'), where);
      }
      return this.text(this.ref(name, where), where);
    });
  }

  private truth(definition: unknown, where: Where): boolean {
    if (typeof definition === 'boolean') return definition;
    const [entry] = Object.entries(definition ?? {});
    if (entry === undefined) throw this.error('empty condition', where);
    const [name, argument] = entry;
    const operands = () => this.list(argument, where, false);
    switch (name) {
      case 'Condition':
        return this.condition(this.text(argument, where), where);
      case 'Fn::Equals': {
        const [left, right] = operands().map((operand) =>
          JSON.stringify(this.walk(operand, where)),
        );
        return left === right;
      }
      case 'Fn::Not':
        return !this.truth(operands()[0], where);
      case 'Fn::And':
        return operands().every((operand) => this.truth(operand, where));
      case 'Fn::Or':
        return operands().some((operand) => this.truth(operand, where));
      default:
        throw this.error(`${name} is not a condition function`, where);
    }
  }

  private text(value: unknown, where: Where): string {
    const resolved = this.walk(value, where);
    if (typeof resolved === 'string') return resolved;
    if (typeof resolved === 'number' || typeof resolved === 'boolean') return String(resolved);
    throw this.error(`expected text, found ${JSON.stringify(resolved)}`, where);
  }

  private list(value: unknown, where: Where, resolve = true): unknown[] {
    const resolved = resolve ? this.walk(value, where) : value;
    if (!Array.isArray(resolved))
      throw this.error(`expected a list, found ${JSON.stringify(resolved)}`, where);
    return resolved;
  }

  private pair(name: string, argument: unknown, where: Where): [unknown, unknown] {
    if (!Array.isArray(argument) || argument.length !== 2) {
      throw this.error(`malformed ${name} ${JSON.stringify(argument)}`, where);
    }
    return [argument[0], argument[1]];
  }

  private error(message: string, where: Where): LocalAwsError {
    return new LocalAwsError(
      `${where.logicalId}.${where.property}: ${message}`,
      where.logicalId,
      where.property,
    );
  }
}

function isIntrinsic(key: string): boolean {
  return key === 'Ref' || key === 'Condition' || key.startsWith('Fn::');
}
