//! `service::flow` against PostgreSQL: every public function, with edge cases and bad input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, NaiveDate, Utc};
use entity::flow::execution_logs::ExecutionLogLevel;
use entity::flow::execution_steps::ExecutionStepStatus;
use entity::flow::executions::{ExecutionStatus, ExecutionTriggeredBy};
use entity::flow::integrations::IntegrationStatus;
use entity::flow::variables::VariableType;
use entity::flow::workflows::WorkflowStatus;
use sea_orm::DatabaseConnection;
use serde_json::json;
use service::ErrorCode;
use service::flow::execution_logs::{NewLogLine, write_log};
use service::flow::execution_queries::{ExecutionFilter, get_execution, get_executions};
use service::flow::execution_steps::{
    NewExecutionStep, complete_execution_step, create_execution_step,
};
use service::flow::executions::{ExecutionResult, complete_execution, execute_workflow};
use service::flow::integrations::{
    IntegrationFilter, NewIntegration, create_integration, get_integrations,
    update_integration_usage,
};
use service::flow::metrics::{FlowMetricSample, MetricScope, get_metrics, track_metric};
use service::flow::schedules::{
    NewSchedule, create_schedule, get_schedules, parse_cron, update_schedule_next_run,
};
use service::flow::variables::{
    NewVariable, check_value, get_variable, get_variables, set_variable,
};
use service::flow::webhooks::{NewWebhook, create_webhook, get_webhook, log_webhook_request};
use service::flow::workflow_status::{
    activate_workflow, archive_workflow, can_transition, pause_workflow,
};
use service::flow::workflows::{
    NewWorkflow, WorkflowFilter, WorkflowUpdate, create_workflow, find_workflows, get_workflow,
    update_workflow,
};
use tests::TestDb;
use tests::counts::audit_count;
use tests::errors::{code, invalid_fields};

// ---------------------------------------------------------------- helpers

fn workflow_input(name: &str) -> NewWorkflow {
    NewWorkflow {
        name: name.into(),
        description: None,
        owner: "u1".into(),
        trigger: json!({"type": "manual"}),
        nodes: json!([{"id": "n1"}]),
        edges: json!([]),
        is_template: false,
    }
}

async fn workflow(db: &DatabaseConnection, name: &str) -> String {
    create_workflow(db, workflow_input(name), None)
        .await
        .unwrap()
        .id
}

async fn active_workflow(db: &DatabaseConnection, name: &str) -> String {
    let id = workflow(db, name).await;
    activate_workflow(db, &id, None).await.unwrap();
    id
}

async fn running(db: &DatabaseConnection, workflow_id: &str) -> String {
    execute_workflow(db, workflow_id, None, None)
        .await
        .unwrap()
        .id
}

/// Moves an execution's (or step's) start back by `ms` milliseconds.
async fn started_ms_ago(t: &TestDb, table: &str, id: &str, ms: i64) {
    t.exec(&format!(
        "UPDATE flow.{table} SET started_at = now() - interval '{ms} milliseconds' WHERE id = '{id}'"
    ))
    .await
    .unwrap();
}

fn step_input(execution_id: &str) -> NewExecutionStep {
    NewExecutionStep {
        execution_id: execution_id.into(),
        step_id: "n1".into(),
        step_name: "Send mail".into(),
        step_type: "action".into(),
        input: Some(json!({"to": "x"})),
    }
}

fn schedule_input(workflow_id: &str) -> NewSchedule {
    NewSchedule {
        workflow_id: workflow_id.into(),
        name: "Nightly".into(),
        ..Default::default()
    }
}

fn webhook_input(workflow_id: &str, url: &str) -> NewWebhook {
    NewWebhook {
        workflow_id: workflow_id.into(),
        name: "Inbound".into(),
        url: url.into(),
        secret: Some("s3cret-value".into()),
        method: None,
    }
}

fn var(key: &str, value: &str, workflow_id: Option<&str>) -> NewVariable {
    NewVariable {
        key: key.into(),
        value: value.into(),
        workflow_id: workflow_id.map(Into::into),
        ..Default::default()
    }
}

fn sample(metric: &str, value: f64, workflow_id: Option<&str>) -> FlowMetricSample {
    FlowMetricSample {
        metric: metric.into(),
        value,
        workflow_id: workflow_id.map(Into::into),
        metadata: None,
        date: None,
    }
}

// ---------------------------------------------------------------- workflows

#[tokio::test]
async fn create_workflow_sets_defaults_and_audits() {
    let t = TestDb::new().await;
    let mut input = workflow_input("  Lead intake ");
    input.description = Some("  ".into());
    input.is_template = true;
    let w = create_workflow(&t.db, input, None).await.unwrap();
    assert_eq!(w.name, "Lead intake");
    assert_eq!(w.description, None);
    assert_eq!(w.status, WorkflowStatus::Draft);
    assert_eq!((w.timeout, w.retry_attempts), (3600, 3));
    assert_eq!(
        (w.execution_count, w.success_count, w.failure_count),
        (0, 0, 0)
    );
    assert_eq!(w.avg_duration_ms, None);
    assert!(w.is_template);
    assert_eq!(w.nodes, json!([{"id": "n1"}]));
    assert_eq!(audit_count(&t, "flow.workflows", "create").await, 1);
    assert_eq!(get_workflow(&t.db, &w.id).await.unwrap(), w);
}

#[tokio::test]
async fn create_workflow_bad_input_and_unknown_get() {
    let t = TestDb::new().await;
    let bad = NewWorkflow {
        name: " ".into(),
        description: None,
        owner: String::new(),
        trigger: json!([]),
        nodes: json!({}),
        edges: json!("x"),
        is_template: false,
    };
    assert_eq!(
        invalid_fields(create_workflow(&t.db, bad, None).await),
        ["name", "owner", "trigger", "nodes", "edges"]
    );
    assert_eq!(
        t.scalar_i64("SELECT count(*) FROM flow.workflows")
            .await
            .unwrap(),
        0
    );
    assert_eq!(code(get_workflow(&t.db, "nope").await), ErrorCode::NotFound);
}

#[tokio::test]
async fn update_workflow_changes_given_fields_only() {
    let t = TestDb::new().await;
    let id = workflow(&t.db, "W").await;
    let w = update_workflow(
        &t.db,
        &id,
        WorkflowUpdate {
            name: Some("W2".into()),
            description: Some(Some("desc".into())),
            nodes: Some(json!([{"id": "a"}, {"id": "b"}])),
            timeout: Some(60),
            retry_attempts: Some(0),
            is_template: Some(true),
            template_id: Some(Some("tpl".into())),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap();
    assert_eq!(w.name, "W2");
    assert_eq!(w.description.as_deref(), Some("desc"));
    assert_eq!(w.nodes.as_array().unwrap().len(), 2);
    assert_eq!(w.trigger, json!({"type": "manual"}), "untouched");
    assert_eq!((w.timeout, w.retry_attempts), (60, 0));
    assert!(w.is_template);
    assert_eq!(w.template_id.as_deref(), Some("tpl"));
    assert_eq!(w.status, WorkflowStatus::Draft);
    assert_eq!(audit_count(&t, "flow.workflows", "update").await, 1);

    let cleared = update_workflow(
        &t.db,
        &id,
        WorkflowUpdate {
            description: Some(None),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap();
    assert_eq!(cleared.description, None);

    let same = update_workflow(&t.db, &id, WorkflowUpdate::default(), None)
        .await
        .unwrap();
    assert_eq!(same, cleared);
    assert_eq!(audit_count(&t, "flow.workflows", "update").await, 2);
}

#[tokio::test]
async fn update_workflow_errors() {
    let t = TestDb::new().await;
    let id = workflow(&t.db, "W").await;
    let bad = update_workflow(
        &t.db,
        &id,
        WorkflowUpdate {
            name: Some(" ".into()),
            trigger: Some(json!(1)),
            edges: Some(json!({})),
            timeout: Some(0),
            retry_attempts: Some(-1),
            ..Default::default()
        },
        None,
    )
    .await;
    assert_eq!(
        invalid_fields(bad),
        ["name", "trigger", "edges", "timeout", "retry_attempts"]
    );
    let unknown = update_workflow(
        &t.db,
        "nope",
        WorkflowUpdate {
            name: Some("x".into()),
            ..Default::default()
        },
        None,
    )
    .await;
    assert_eq!(code(unknown), ErrorCode::NotFound);
    assert_eq!(get_workflow(&t.db, &id).await.unwrap().name, "W");
}

#[tokio::test]
async fn find_workflows_filters_including_is_template_false_and_orders_by_update() {
    let t = TestDb::new().await;
    let a = workflow(&t.db, "A").await;
    let mut tpl = workflow_input("T");
    tpl.is_template = true;
    tpl.owner = "u2".into();
    let tpl = create_workflow(&t.db, tpl, None).await.unwrap().id;
    let c = active_workflow(&t.db, "C").await;
    for (id, age) in [(&a, 1), (&tpl, 2), (&c, 3)] {
        t.exec(&format!(
            "UPDATE flow.workflows SET updated_at = now() - interval '{age} hours' WHERE id = '{id}'"
        ))
        .await
        .unwrap();
    }
    let ids =
        |v: Vec<entity::flow::workflows::Model>| v.into_iter().map(|w| w.id).collect::<Vec<_>>();
    assert_eq!(
        ids(find_workflows(&t.db, WorkflowFilter::default())
            .await
            .unwrap()),
        [a.clone(), tpl.clone(), c.clone()]
    );
    let not_templates = find_workflows(
        &t.db,
        WorkflowFilter {
            is_template: Some(false),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(ids(not_templates), [a.clone(), c.clone()]);
    let templates = find_workflows(
        &t.db,
        WorkflowFilter {
            is_template: Some(true),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(ids(templates), vec![tpl.clone()]);
    let active = find_workflows(
        &t.db,
        WorkflowFilter {
            status: Some(WorkflowStatus::Active),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(ids(active), vec![c]);
    let of_u2 = find_workflows(
        &t.db,
        WorkflowFilter {
            owner: Some("u2".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(ids(of_u2), [tpl]);
    let limited = find_workflows(
        &t.db,
        WorkflowFilter {
            limit: Some(1),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(ids(limited), [a]);
}

// ---------------------------------------------------------------- life cycle

#[test]
fn can_transition_table() {
    use WorkflowStatus::{Active, Archived, Draft, Paused};
    assert!(can_transition(Draft, Active));
    assert!(can_transition(Paused, Active));
    assert!(can_transition(Active, Paused));
    assert!(can_transition(Active, Active));
    assert!(can_transition(Draft, Archived));
    assert!(can_transition(Active, Archived));
    assert!(!can_transition(Draft, Paused));
    assert!(!can_transition(Archived, Active));
    assert!(!can_transition(Archived, Paused));
    assert!(!can_transition(Active, Draft));
}

#[tokio::test]
async fn activate_pause_archive_follow_the_life_cycle() {
    let t = TestDb::new().await;
    let id = workflow(&t.db, "W").await;
    assert_eq!(
        code(pause_workflow(&t.db, &id, None).await),
        ErrorCode::Conflict
    );
    let w = activate_workflow(&t.db, &id, None).await.unwrap();
    assert_eq!(w.status, WorkflowStatus::Active);
    let again = activate_workflow(&t.db, &id, None).await.unwrap();
    assert_eq!(again.status, WorkflowStatus::Active);
    assert_eq!(
        audit_count(&t, "flow.workflows", "activate").await,
        1,
        "no-op not audited"
    );
    let w = pause_workflow(&t.db, &id, None).await.unwrap();
    assert_eq!(w.status, WorkflowStatus::Paused);
    let w = activate_workflow(&t.db, &id, None).await.unwrap();
    assert_eq!(w.status, WorkflowStatus::Active);
    let w = archive_workflow(&t.db, &id, None).await.unwrap();
    assert_eq!(w.status, WorkflowStatus::Archived);
    assert_eq!(
        code(activate_workflow(&t.db, &id, None).await),
        ErrorCode::Conflict
    );
    assert_eq!(
        code(pause_workflow(&t.db, &id, None).await),
        ErrorCode::Conflict
    );
    assert_eq!(
        archive_workflow(&t.db, &id, None).await.unwrap().status,
        WorkflowStatus::Archived
    );
    for r in [
        activate_workflow(&t.db, "nope", None).await,
        pause_workflow(&t.db, "nope", None).await,
        archive_workflow(&t.db, "nope", None).await,
    ] {
        assert_eq!(code(r), ErrorCode::NotFound);
    }
}

// ---------------------------------------------------------------- executions

#[tokio::test]
async fn execute_workflow_inserts_a_running_execution_and_counts_it() {
    let t = TestDb::new().await;
    let id = active_workflow(&t.db, "W").await;
    let before = Utc::now() - Duration::seconds(1);
    let e = execute_workflow(&t.db, &id, Some(json!({"lead": 1})), None)
        .await
        .unwrap();
    assert_eq!(e.workflow_id, id);
    assert_eq!(e.status, ExecutionStatus::Running);
    assert_eq!(e.triggered_by, Some(ExecutionTriggeredBy::Manual));
    assert_eq!(e.input, Some(json!({"lead": 1})));
    assert!(e.started_at >= before);
    let e2 = execute_workflow(&t.db, &id, None, Some(ExecutionTriggeredBy::Webhook))
        .await
        .unwrap();
    assert_eq!(e2.triggered_by, Some(ExecutionTriggeredBy::Webhook));
    let w = get_workflow(&t.db, &id).await.unwrap();
    assert_eq!(w.execution_count, 2);
    assert!(w.last_executed_at.is_some_and(|x| x >= before));
}

#[tokio::test]
async fn execute_workflow_refuses_unknown_and_inactive_workflows() {
    let t = TestDb::new().await;
    assert_eq!(
        code(execute_workflow(&t.db, "nope", None, None).await),
        ErrorCode::NotFound
    );
    let draft = workflow(&t.db, "Draft").await;
    assert_eq!(
        code(execute_workflow(&t.db, &draft, None, None).await),
        ErrorCode::Conflict
    );
    let paused = active_workflow(&t.db, "P").await;
    pause_workflow(&t.db, &paused, None).await.unwrap();
    assert_eq!(
        code(execute_workflow(&t.db, &paused, None, None).await),
        ErrorCode::Conflict
    );
    assert_eq!(
        t.scalar_i64("SELECT count(*) FROM flow.executions")
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        t.scalar_i64("SELECT sum(execution_count) FROM flow.workflows")
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn complete_execution_records_duration_and_a_true_running_average() {
    let t = TestDb::new().await;
    let wf = active_workflow(&t.db, "W").await;
    let mut durations = Vec::new();
    for ms in [1000, 2000, 6000] {
        let id = running(&t.db, &wf).await;
        started_ms_ago(&t, "executions", &id, ms).await;
        let e = complete_execution(
            &t.db,
            &id,
            ExecutionResult {
                output: Some(json!({"ok": true})),
                error: Some("  ".into()),
            },
        )
        .await
        .unwrap();
        assert_eq!(
            e.status,
            ExecutionStatus::Completed,
            "blank error = success"
        );
        assert_eq!(e.output, Some(json!({"ok": true})));
        assert_eq!(e.error, None);
        assert!(e.completed_at.is_some());
        let d = e.duration_ms.unwrap();
        assert!(
            (ms..ms + 2000).contains(&(i64::from(d))),
            "duration {d} for {ms}"
        );
        durations.push(i64::from(d));
    }
    let w = get_workflow(&t.db, &wf).await.unwrap();
    assert_eq!(w.success_count, 3);
    assert_eq!(w.failure_count, 0);
    let mean = durations.iter().sum::<i64>() as f64 / 3.0;
    let avg = f64::from(w.avg_duration_ms.unwrap());
    assert!((avg - mean).abs() <= 1.0, "avg {avg} vs mean {mean}");
    assert!(
        avg > 2500.0,
        "an average, not the last value (~6000) or the first"
    );
}

#[tokio::test]
async fn complete_execution_failure_counts_and_leaves_the_average() {
    let t = TestDb::new().await;
    let wf = active_workflow(&t.db, "W").await;
    let ok = running(&t.db, &wf).await;
    started_ms_ago(&t, "executions", &ok, 500).await;
    complete_execution(&t.db, &ok, ExecutionResult::default())
        .await
        .unwrap();
    let avg_before = get_workflow(&t.db, &wf).await.unwrap().avg_duration_ms;
    assert!(avg_before.is_some());

    let bad = running(&t.db, &wf).await;
    started_ms_ago(&t, "executions", &bad, 90_000).await;
    let e = complete_execution(
        &t.db,
        &bad,
        ExecutionResult {
            output: None,
            error: Some(" boom ".into()),
        },
    )
    .await
    .unwrap();
    assert_eq!(e.status, ExecutionStatus::Failed);
    assert_eq!(e.error.as_deref(), Some("boom"));
    let w = get_workflow(&t.db, &wf).await.unwrap();
    assert_eq!((w.success_count, w.failure_count), (1, 1));
    assert_eq!(w.avg_duration_ms, avg_before);
}

#[tokio::test]
async fn complete_execution_twice_is_a_conflict_and_unknown_is_not_found() {
    let t = TestDb::new().await;
    let wf = active_workflow(&t.db, "W").await;
    let id = running(&t.db, &wf).await;
    complete_execution(&t.db, &id, ExecutionResult::default())
        .await
        .unwrap();
    let again = complete_execution(
        &t.db,
        &id,
        ExecutionResult {
            output: None,
            error: Some("late".into()),
        },
    )
    .await;
    assert_eq!(code(again), ErrorCode::Conflict);
    let w = get_workflow(&t.db, &wf).await.unwrap();
    assert_eq!((w.success_count, w.failure_count), (1, 0), "counted once");
    assert_eq!(
        code(complete_execution(&t.db, "nope", ExecutionResult::default()).await),
        ErrorCode::NotFound
    );
}

#[tokio::test]
async fn get_execution_has_workflow_steps_and_logs_in_order() {
    let t = TestDb::new().await;
    let wf = active_workflow(&t.db, "W").await;
    let id = running(&t.db, &wf).await;
    let s1 = create_execution_step(&t.db, step_input(&id)).await.unwrap();
    let mut second = step_input(&id);
    second.step_id = "n2".into();
    let s2 = create_execution_step(&t.db, second).await.unwrap();
    t.exec(&format!(
        "UPDATE flow.execution_steps SET created_at = now() - interval '1 minute' WHERE id = '{}'",
        s2.id
    ))
    .await
    .unwrap();
    for (msg, age) in [("late", 0), ("early", 5)] {
        let l = write_log(
            &t.db,
            NewLogLine {
                execution_id: id.clone(),
                level: ExecutionLogLevel::Info,
                message: msg.into(),
                data: None,
                step_id: None,
            },
        )
        .await
        .unwrap();
        t.exec(&format!(
            "UPDATE flow.execution_logs SET timestamp = now() - interval '{age} seconds' WHERE id = '{}'",
            l.id
        ))
        .await
        .unwrap();
    }
    let d = get_execution(&t.db, &id).await.unwrap();
    assert_eq!(d.execution.id, id);
    assert_eq!(d.workflow.id, wf);
    assert_eq!(
        d.steps.iter().map(|s| s.id.clone()).collect::<Vec<_>>(),
        [s2.id, s1.id]
    );
    assert_eq!(
        d.logs.iter().map(|l| l.message.clone()).collect::<Vec<_>>(),
        ["early", "late"]
    );
    assert_eq!(
        code(get_execution(&t.db, "nope").await),
        ErrorCode::NotFound
    );
}

#[tokio::test]
async fn get_executions_filters_orders_and_names_the_workflow() {
    let t = TestDb::new().await;
    let a = active_workflow(&t.db, "Alpha").await;
    let b = active_workflow(&t.db, "Beta").await;
    let a1 = running(&t.db, &a).await;
    let b1 = running(&t.db, &b).await;
    let a2 = running(&t.db, &a).await;
    for (id, ms) in [(&a1, 3000), (&b1, 2000), (&a2, 1000)] {
        started_ms_ago(&t, "executions", id, ms).await;
    }
    complete_execution(&t.db, &b1, ExecutionResult::default())
        .await
        .unwrap();

    let all = get_executions(&t.db, ExecutionFilter::default())
        .await
        .unwrap();
    assert_eq!(
        all.iter()
            .map(|e| e.execution.id.clone())
            .collect::<Vec<_>>(),
        [a2.clone(), b1.clone(), a1.clone()]
    );
    assert_eq!(all[0].workflow_name, "Alpha");
    assert_eq!(all[1].workflow_name, "Beta");
    let of_a = get_executions(
        &t.db,
        ExecutionFilter {
            workflow_id: Some(a.clone()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(of_a.len(), 2);
    let completed = get_executions(
        &t.db,
        ExecutionFilter {
            status: Some(ExecutionStatus::Completed),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(completed.len(), 1);
    assert_eq!(completed[0].execution.id, b1);
    let limited = get_executions(
        &t.db,
        ExecutionFilter {
            limit: Some(1),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(limited.len(), 1);
    assert_eq!(limited[0].execution.id, a2);
}

// ---------------------------------------------------------------- steps and logs

#[tokio::test]
async fn create_execution_step_starts_a_running_step() {
    let t = TestDb::new().await;
    let wf = active_workflow(&t.db, "W").await;
    let id = running(&t.db, &wf).await;
    let s = create_execution_step(&t.db, step_input(&id)).await.unwrap();
    assert_eq!(s.execution_id, id);
    assert_eq!(s.status, ExecutionStepStatus::Running);
    assert!(s.started_at.is_some());
    assert_eq!((s.attempt_number, s.max_attempts), (1, 3));
    assert_eq!(s.input, Some(json!({"to": "x"})));
}

#[tokio::test]
async fn create_execution_step_errors() {
    let t = TestDb::new().await;
    let wf = active_workflow(&t.db, "W").await;
    let id = running(&t.db, &wf).await;
    let mut bad = step_input(&id);
    bad.step_id = " ".into();
    bad.step_name = String::new();
    bad.step_type = "\t".into();
    assert_eq!(
        invalid_fields(create_execution_step(&t.db, bad).await),
        ["step_id", "step_name", "step_type"]
    );
    assert_eq!(
        code(create_execution_step(&t.db, step_input("nope")).await),
        ErrorCode::NotFound
    );
    complete_execution(&t.db, &id, ExecutionResult::default())
        .await
        .unwrap();
    assert_eq!(
        code(create_execution_step(&t.db, step_input(&id)).await),
        ErrorCode::Conflict
    );
    assert_eq!(
        t.scalar_i64("SELECT count(*) FROM flow.execution_steps")
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn complete_execution_step_records_outcome_and_duration() {
    let t = TestDb::new().await;
    let wf = active_workflow(&t.db, "W").await;
    let id = running(&t.db, &wf).await;
    let ok = create_execution_step(&t.db, step_input(&id)).await.unwrap();
    started_ms_ago(&t, "execution_steps", &ok.id, 1500).await;
    let done = complete_execution_step(&t.db, &ok.id, Some(json!({"sent": 1})), None)
        .await
        .unwrap();
    assert_eq!(done.status, ExecutionStepStatus::Completed);
    assert_eq!(done.output, Some(json!({"sent": 1})));
    assert!(done.completed_at.is_some());
    let d = done.duration_ms.unwrap();
    assert!((1500..3500).contains(&d), "duration {d}");

    let bad = create_execution_step(&t.db, step_input(&id)).await.unwrap();
    let failed = complete_execution_step(&t.db, &bad.id, None, Some("smtp down".into()))
        .await
        .unwrap();
    assert_eq!(failed.status, ExecutionStepStatus::Failed);
    assert_eq!(failed.error.as_deref(), Some("smtp down"));
}

#[tokio::test]
async fn complete_execution_step_errors() {
    let t = TestDb::new().await;
    let wf = active_workflow(&t.db, "W").await;
    let id = running(&t.db, &wf).await;
    let s = create_execution_step(&t.db, step_input(&id)).await.unwrap();
    complete_execution_step(&t.db, &s.id, None, None)
        .await
        .unwrap();
    assert_eq!(
        code(complete_execution_step(&t.db, &s.id, None, Some("again".into())).await),
        ErrorCode::Conflict
    );
    t.exec(&format!(
        "INSERT INTO flow.execution_steps (id, execution_id, step_id, step_name, step_type) \
         VALUES ('pending-step', '{id}', 'n9', 'Later', 'action')"
    ))
    .await
    .unwrap();
    assert_eq!(
        code(complete_execution_step(&t.db, "pending-step", None, None).await),
        ErrorCode::Conflict
    );
    assert_eq!(
        code(complete_execution_step(&t.db, "nope", None, None).await),
        ErrorCode::NotFound
    );
    let pending_status = t
        .scalar_i64("SELECT count(*) FROM flow.execution_steps WHERE status = 'pending'")
        .await
        .unwrap();
    assert_eq!(pending_status, 1, "the unstarted step is untouched");
}

#[tokio::test]
async fn write_log_appends_a_line_and_validates() {
    let t = TestDb::new().await;
    let wf = active_workflow(&t.db, "W").await;
    let id = running(&t.db, &wf).await;
    let before = Utc::now() - Duration::seconds(1);
    let l = write_log(
        &t.db,
        NewLogLine {
            execution_id: id.clone(),
            level: ExecutionLogLevel::Warn,
            message: " slow ".into(),
            data: Some(json!({"ms": 900})),
            step_id: Some("n1".into()),
        },
    )
    .await
    .unwrap();
    assert_eq!(l.message, "slow");
    assert_eq!(l.level, ExecutionLogLevel::Warn);
    assert_eq!(l.step_id.as_deref(), Some("n1"));
    assert!(l.timestamp >= before);

    let blank = write_log(
        &t.db,
        NewLogLine {
            execution_id: id,
            level: ExecutionLogLevel::Info,
            message: " ".into(),
            data: None,
            step_id: None,
        },
    )
    .await;
    assert_eq!(invalid_fields(blank), ["message"]);
    let dangling = write_log(
        &t.db,
        NewLogLine {
            execution_id: "nope".into(),
            level: ExecutionLogLevel::Info,
            message: "x".into(),
            data: None,
            step_id: None,
        },
    )
    .await;
    assert_eq!(code(dangling), ErrorCode::Validation);
    assert_eq!(
        t.scalar_i64("SELECT count(*) FROM flow.execution_logs")
            .await
            .unwrap(),
        1
    );
}

// ---------------------------------------------------------------- schedules

#[test]
fn parse_cron_checks_shape_only() {
    assert_eq!(parse_cron("c", "  0   3 * * 1-5 ").unwrap(), "0 3 * * 1-5");
    assert_eq!(
        parse_cron("c", "*/15 * ? JAN MON#2").unwrap(),
        "*/15 * ? JAN MON#2"
    );
    assert_eq!(invalid_fields(parse_cron("c", "0 3 * *")), ["c"]);
    assert_eq!(invalid_fields(parse_cron("c", "0 3 * * * *")), ["c"]);
    assert_eq!(invalid_fields(parse_cron("c", "0 3 * * ;rm")), ["c"]);
    assert_eq!(invalid_fields(parse_cron("c", "")), ["c"]);
}

#[tokio::test]
async fn create_schedule_with_cron_or_interval() {
    let t = TestDb::new().await;
    let wf = workflow(&t.db, "W").await;
    let mut cron = schedule_input(&wf);
    cron.cron_expression = Some(" 0  3 * * * ".into());
    cron.max_runs = Some(10);
    let s = create_schedule(&t.db, cron, None).await.unwrap();
    assert_eq!(s.cron_expression.as_deref(), Some("0 3 * * *"));
    assert_eq!(s.interval_minutes, None);
    assert_eq!(s.timezone, "Europe/Copenhagen");
    assert!(s.is_active);
    assert_eq!((s.current_runs, s.max_runs), (0, Some(10)));
    assert_eq!(s.next_run, None);

    let start = Utc::now();
    let mut every = schedule_input(&wf);
    every.interval_minutes = Some(15);
    every.timezone = Some("UTC".into());
    every.start_date = Some(start);
    every.end_date = Some(start + Duration::days(1));
    let s = create_schedule(&t.db, every, None).await.unwrap();
    assert_eq!(s.interval_minutes, Some(15));
    assert_eq!(s.cron_expression, None);
    assert_eq!(s.timezone, "UTC");
    assert!(s.end_date.is_some());
    assert_eq!(audit_count(&t, "flow.schedules", "create").await, 2);
}

#[tokio::test]
async fn create_schedule_bad_input() {
    let t = TestDb::new().await;
    let wf = workflow(&t.db, "W").await;
    let mut neither = schedule_input(&wf);
    neither.cron_expression = Some("  ".into());
    assert_eq!(
        invalid_fields(create_schedule(&t.db, neither, None).await),
        ["cron_expression", "interval_minutes"]
    );
    let mut both = schedule_input(&wf);
    both.cron_expression = Some("0 3 * * *".into());
    both.interval_minutes = Some(5);
    assert_eq!(
        invalid_fields(create_schedule(&t.db, both, None).await),
        ["interval_minutes"]
    );
    let now = Utc::now();
    let mut many = schedule_input(&wf);
    many.name = " ".into();
    many.interval_minutes = Some(0);
    many.timezone = Some("Europe Copenhagen".into());
    many.max_runs = Some(0);
    many.start_date = Some(now);
    many.end_date = Some(now);
    assert_eq!(
        invalid_fields(create_schedule(&t.db, many, None).await),
        [
            "name",
            "interval_minutes",
            "timezone",
            "max_runs",
            "end_date"
        ]
    );
    let mut bad_cron = schedule_input(&wf);
    bad_cron.cron_expression = Some("every day".into());
    assert_eq!(
        invalid_fields(create_schedule(&t.db, bad_cron, None).await),
        ["cron_expression"]
    );
    let mut unknown = schedule_input("nope");
    unknown.interval_minutes = Some(5);
    assert_eq!(
        code(create_schedule(&t.db, unknown, None).await),
        ErrorCode::Validation
    );
    assert_eq!(
        t.scalar_i64("SELECT count(*) FROM flow.schedules")
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn get_schedules_orders_by_next_run_with_unplanned_last() {
    let t = TestDb::new().await;
    let a = workflow(&t.db, "Alpha").await;
    let b = workflow(&t.db, "Beta").await;
    let mut ids = Vec::new();
    for wf in [&a, &a, &b] {
        let mut input = schedule_input(wf);
        input.interval_minutes = Some(5);
        ids.push(create_schedule(&t.db, input, None).await.unwrap().id);
    }
    let soon = Utc::now() + Duration::minutes(5);
    update_schedule_next_run(&t.db, &ids[1], soon)
        .await
        .unwrap();
    update_schedule_next_run(&t.db, &ids[2], soon - Duration::minutes(1))
        .await
        .unwrap();

    let all = get_schedules(&t.db, None).await.unwrap();
    assert_eq!(
        all.iter()
            .map(|s| s.schedule.id.clone())
            .collect::<Vec<_>>(),
        [ids[2].clone(), ids[1].clone(), ids[0].clone()]
    );
    assert_eq!(all[0].workflow_name, "Beta");
    assert_eq!(all[1].workflow_name, "Alpha");
    let of_a = get_schedules(&t.db, Some(&a)).await.unwrap();
    assert_eq!(of_a.len(), 2);
    assert!(of_a.iter().all(|s| s.schedule.workflow_id == a));
    assert_eq!(get_schedules(&t.db, Some(" ")).await.unwrap().len(), 3);
}

#[tokio::test]
async fn update_schedule_next_run_counts_runs_and_enforces_max_runs() {
    let t = TestDb::new().await;
    let wf = workflow(&t.db, "W").await;
    let mut input = schedule_input(&wf);
    input.interval_minutes = Some(60);
    input.max_runs = Some(2);
    let id = create_schedule(&t.db, input, None).await.unwrap().id;
    let next = Utc::now() + Duration::hours(1);
    let s = update_schedule_next_run(&t.db, &id, next).await.unwrap();
    assert_eq!(s.current_runs, 1);
    assert!(s.last_run.is_some());
    assert_eq!(s.next_run.map(|d| d.timestamp()), Some(next.timestamp()));
    assert!(s.is_active);

    let s = update_schedule_next_run(&t.db, &id, next + Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(s.current_runs, 2);
    assert!(!s.is_active, "the last allowed run deactivates");
    assert_eq!(s.next_run, None);

    assert_eq!(
        code(update_schedule_next_run(&t.db, &id, next).await),
        ErrorCode::Conflict
    );
    assert_eq!(
        code(update_schedule_next_run(&t.db, "nope", next).await),
        ErrorCode::NotFound
    );

    let mut unlimited = schedule_input(&wf);
    unlimited.interval_minutes = Some(1);
    let u = create_schedule(&t.db, unlimited, None).await.unwrap().id;
    for _ in 0..3 {
        update_schedule_next_run(&t.db, &u, next).await.unwrap();
    }
    let s = update_schedule_next_run(&t.db, &u, next).await.unwrap();
    assert_eq!(s.current_runs, 4);
    assert!(s.is_active);
}

// ---------------------------------------------------------------- webhooks

#[tokio::test]
async fn create_webhook_defaults_and_keeps_the_secret_out_of_the_audit_trail() {
    let t = TestDb::new().await;
    let wf = workflow(&t.db, "W").await;
    let w = create_webhook(
        &t.db,
        webhook_input(&wf, " https://hooks.tekup.dk/a "),
        None,
    )
    .await
    .unwrap();
    assert_eq!(w.url, "https://hooks.tekup.dk/a");
    assert_eq!(w.method, "POST");
    assert!(w.is_active);
    assert_eq!(w.request_count, 0);
    assert_eq!(
        w.secret.as_deref(),
        Some("s3cret-value"),
        "stored in clear (defect 11)"
    );
    let mut get = webhook_input(&wf, "https://hooks.tekup.dk/b");
    get.method = Some("get".into());
    get.secret = Some(" ".into());
    let g = create_webhook(&t.db, get, None).await.unwrap();
    assert_eq!(g.method, "GET");
    assert_eq!(g.secret, None);
    assert_eq!(audit_count(&t, "flow.webhooks", "create").await, 2);
    let leaked = t
        .scalar_i64("SELECT count(*) FROM shared.audit_logs WHERE metadata::text LIKE '%s3cret%'")
        .await
        .unwrap();
    assert_eq!(leaked, 0);
}

#[tokio::test]
async fn create_webhook_errors() {
    let t = TestDb::new().await;
    let wf = workflow(&t.db, "W").await;
    create_webhook(&t.db, webhook_input(&wf, "https://h/x"), None)
        .await
        .unwrap();
    assert_eq!(
        code(create_webhook(&t.db, webhook_input(&wf, "https://h/x"), None).await),
        ErrorCode::Conflict
    );
    let r = create_webhook(&t.db, webhook_input("nope", "https://h/y"), None).await;
    assert_eq!(invalid_fields(r), ["workflow_id"]);
    let mut bad = webhook_input(" ", "https://h/ z");
    bad.name = String::new();
    bad.method = Some("FETCH".into());
    assert_eq!(
        invalid_fields(create_webhook(&t.db, bad, None).await),
        ["workflow_id", "name", "url", "method"]
    );
    assert_eq!(
        t.scalar_i64("SELECT count(*) FROM flow.webhooks")
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn get_webhook_by_url_and_log_webhook_request() {
    let t = TestDb::new().await;
    let wf = workflow(&t.db, "W").await;
    let w = create_webhook(&t.db, webhook_input(&wf, "https://h/x"), None)
        .await
        .unwrap();
    assert_eq!(
        get_webhook(&t.db, " https://h/x ").await.unwrap(),
        Some(w.clone())
    );
    assert_eq!(get_webhook(&t.db, "https://h/other").await.unwrap(), None);

    let once = log_webhook_request(&t.db, &w.id).await.unwrap();
    assert_eq!(once.request_count, 1);
    assert!(once.last_request_at.is_some());
    let twice = log_webhook_request(&t.db, &w.id).await.unwrap();
    assert_eq!(twice.request_count, 2);
    assert_eq!(
        code(log_webhook_request(&t.db, "nope").await),
        ErrorCode::NotFound
    );
}

// ---------------------------------------------------------------- integrations

#[tokio::test]
async fn create_integration_is_active_and_keeps_config_out_of_the_audit_trail() {
    let t = TestDb::new().await;
    let i = create_integration(
        &t.db,
        NewIntegration {
            name: " slack ".into(),
            r#type: "chat".into(),
            config: json!({"token": "xoxb-secret"}),
            owner: "u1".into(),
        },
        None,
    )
    .await
    .unwrap();
    assert_eq!(i.name, "slack");
    assert_eq!(i.status, IntegrationStatus::Active);
    assert_eq!(i.usage_count, 0);
    assert_eq!(i.config, json!({"token": "xoxb-secret"}));
    assert_eq!(audit_count(&t, "flow.integrations", "create").await, 1);
    let leaked = t
        .scalar_i64("SELECT count(*) FROM shared.audit_logs WHERE metadata::text LIKE '%xoxb%'")
        .await
        .unwrap();
    assert_eq!(leaked, 0);
}

#[tokio::test]
async fn create_integration_bad_input() {
    let t = TestDb::new().await;
    let r = create_integration(
        &t.db,
        NewIntegration {
            name: " ".into(),
            r#type: String::new(),
            config: json!("token"),
            owner: " ".into(),
        },
        None,
    )
    .await;
    assert_eq!(invalid_fields(r), ["name", "type", "owner", "config"]);
}

#[tokio::test]
async fn get_integrations_filters_newest_first_and_usage_counts() {
    let t = TestDb::new().await;
    let mk = |name: &str, kind: &str, owner: &str| NewIntegration {
        name: name.into(),
        r#type: kind.into(),
        config: json!({}),
        owner: owner.into(),
    };
    let a = create_integration(&t.db, mk("a", "http", "u1"), None)
        .await
        .unwrap();
    let b = create_integration(&t.db, mk("b", "email", "u1"), None)
        .await
        .unwrap();
    let c = create_integration(&t.db, mk("c", "http", "u2"), None)
        .await
        .unwrap();
    for (id, age) in [(&a.id, 3), (&b.id, 2), (&c.id, 1)] {
        t.exec(&format!(
            "UPDATE flow.integrations SET created_at = now() - interval '{age} hours' WHERE id = '{id}'"
        ))
        .await
        .unwrap();
    }
    let names = |v: Vec<entity::flow::integrations::Model>| {
        v.into_iter().map(|i| i.name).collect::<Vec<_>>()
    };
    assert_eq!(
        names(
            get_integrations(&t.db, IntegrationFilter::default())
                .await
                .unwrap()
        ),
        ["c", "b", "a"]
    );
    let of_u1 = IntegrationFilter {
        owner: Some("u1".into()),
        ..Default::default()
    };
    assert_eq!(
        names(get_integrations(&t.db, of_u1).await.unwrap()),
        ["b", "a"]
    );
    let http_u1 = IntegrationFilter {
        owner: Some("u1".into()),
        r#type: Some("http".into()),
        ..Default::default()
    };
    assert_eq!(
        names(get_integrations(&t.db, http_u1).await.unwrap()),
        ["a"]
    );
    let limited = IntegrationFilter {
        limit: Some(1),
        ..Default::default()
    };
    assert_eq!(
        names(get_integrations(&t.db, limited).await.unwrap()),
        ["c"]
    );

    let used = update_integration_usage(&t.db, &a.id).await.unwrap();
    assert_eq!(used.usage_count, 1);
    assert!(used.last_used_at.is_some());
    assert_eq!(
        update_integration_usage(&t.db, &a.id)
            .await
            .unwrap()
            .usage_count,
        2
    );
    assert_eq!(
        code(update_integration_usage(&t.db, "nope").await),
        ErrorCode::NotFound
    );
}

// ---------------------------------------------------------------- variables

#[test]
fn check_value_matches_the_type() {
    assert!(check_value(VariableType::String, "").is_ok());
    assert!(check_value(VariableType::Number, " 3.5 ").is_ok());
    assert!(check_value(VariableType::Number, "abc").is_err());
    assert!(check_value(VariableType::Number, "inf").is_err());
    assert!(check_value(VariableType::Boolean, "true").is_ok());
    assert!(check_value(VariableType::Boolean, "yes").is_err());
    assert!(check_value(VariableType::Json, r#"{"a": [1]}"#).is_ok());
    assert_eq!(
        invalid_fields(check_value(VariableType::Json, "{")),
        ["value"]
    );
}

#[tokio::test]
async fn set_variable_upserts_a_global_variable_in_place() {
    let t = TestDb::new().await;
    let first = set_variable(&t.db, var("api_base", "https://a", None), None)
        .await
        .unwrap();
    assert_eq!(first.workflow_id, None);
    assert_eq!(first.r#type, VariableType::String);
    assert!(!first.is_secret && !first.encrypted);
    let second = set_variable(&t.db, var(" api_base ", "https://b", None), None)
        .await
        .unwrap();
    assert_eq!(second.id, first.id, "defect 5: the same global row");
    assert_eq!(second.value, "https://b");
    assert_eq!(
        t.scalar_i64("SELECT count(*) FROM flow.variables")
            .await
            .unwrap(),
        1
    );
    assert_eq!(audit_count(&t, "flow.variables", "set").await, 2);
}

#[tokio::test]
async fn set_variable_scopes_secret_flag_type_and_description() {
    let t = TestDb::new().await;
    let wf = workflow(&t.db, "W").await;
    let global = set_variable(&t.db, var("k", "g", None), None)
        .await
        .unwrap();
    let mut scoped = var("k", "42", Some(&wf));
    scoped.r#type = Some(VariableType::Number);
    scoped.description = Some("answer".into());
    let local = set_variable(&t.db, scoped, None).await.unwrap();
    assert_ne!(local.id, global.id);
    assert_eq!(local.r#type, VariableType::Number);

    let mut secret = var("k", "43", Some(&wf));
    secret.is_secret = true;
    let s = set_variable(&t.db, secret, None).await.unwrap();
    assert_eq!(s.id, local.id);
    assert!(s.is_secret && s.encrypted);
    assert_eq!(s.r#type, VariableType::Number, "type kept when not given");
    assert_eq!(s.description.as_deref(), Some("answer"), "description kept");

    let lowered = set_variable(&t.db, var("k", "44", Some(&wf)), None)
        .await
        .unwrap();
    assert!(lowered.is_secret, "a secret stays secret");
    assert_eq!(lowered.value, "44");
    let leaked = t
        .scalar_i64("SELECT count(*) FROM shared.audit_logs WHERE metadata::text LIKE '%\"44\"%'")
        .await
        .unwrap();
    assert_eq!(leaked, 0, "values never go into the audit trail");
}

#[tokio::test]
async fn set_variable_bad_input() {
    let t = TestDb::new().await;
    let mut bad = var(" ", "abc", None);
    bad.r#type = Some(VariableType::Number);
    assert_eq!(
        invalid_fields(set_variable(&t.db, bad, None).await),
        ["key", "value"]
    );
    assert_eq!(
        invalid_fields(set_variable(&t.db, var("k", "v", Some("nope")), None).await),
        ["workflow_id"]
    );
    assert_eq!(
        t.scalar_i64("SELECT count(*) FROM flow.variables")
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn get_variable_and_get_variables_query_globals_explicitly() {
    let t = TestDb::new().await;
    let wf = workflow(&t.db, "W").await;
    set_variable(&t.db, var("b", "global-b", None), None)
        .await
        .unwrap();
    set_variable(&t.db, var("a", "global-a", None), None)
        .await
        .unwrap();
    set_variable(&t.db, var("a", "local-a", Some(&wf)), None)
        .await
        .unwrap();
    set_variable(&t.db, var("only_local", "x", Some(&wf)), None)
        .await
        .unwrap();

    assert_eq!(
        get_variable(&t.db, "a", None).await.unwrap().unwrap().value,
        "global-a"
    );
    assert_eq!(
        get_variable(&t.db, "a", Some(&wf))
            .await
            .unwrap()
            .unwrap()
            .value,
        "local-a"
    );
    assert!(
        get_variable(&t.db, "b", Some(&wf)).await.unwrap().is_none(),
        "no fallback"
    );
    assert!(
        get_variable(&t.db, "only_local", None)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        get_variable(&t.db, "missing", None)
            .await
            .unwrap()
            .is_none()
    );

    let globals = get_variables(&t.db, None).await.unwrap();
    assert_eq!(
        globals.iter().map(|v| v.value.as_str()).collect::<Vec<_>>(),
        ["global-a", "global-b"],
        "only globals, sorted by key (defect 5)"
    );
    let local = get_variables(&t.db, Some(&wf)).await.unwrap();
    assert_eq!(
        local.iter().map(|v| v.key.as_str()).collect::<Vec<_>>(),
        ["a", "only_local"]
    );
    assert!(
        get_variables(&t.db, Some("other"))
            .await
            .unwrap()
            .is_empty()
    );
}

// ---------------------------------------------------------------- metrics

#[tokio::test]
async fn track_metric_upserts_global_and_per_workflow_rows() {
    let t = TestDb::new().await;
    let g1 = track_metric(&t.db, sample("executions", 1.0, None))
        .await
        .unwrap();
    assert_eq!(g1.date, Utc::now().date_naive(), "UTC day");
    let g2 = track_metric(&t.db, sample("executions", 2.0, None))
        .await
        .unwrap();
    assert_eq!(g2.id, g1.id, "defect 5: a global metric upserts in place");
    assert!((g2.value - 2.0).abs() < f64::EPSILON);
    let mut with_meta = sample("executions", 3.0, Some("wf-1"));
    with_meta.metadata = Some(json!({"k": 1}));
    let w1 = track_metric(&t.db, with_meta).await.unwrap();
    assert_ne!(w1.id, g1.id);
    let w2 = track_metric(&t.db, sample("executions", 4.0, Some("wf-1")))
        .await
        .unwrap();
    assert_eq!(w2.id, w1.id);
    assert_eq!(w2.metadata, None, "metadata replaced");
    assert_eq!(
        t.scalar_i64("SELECT count(*) FROM flow.metrics")
            .await
            .unwrap(),
        2
    );

    let bad = track_metric(&t.db, sample(" ", f64::INFINITY, None)).await;
    assert_eq!(invalid_fields(bad), ["metric", "value"]);
}

#[tokio::test]
async fn get_metrics_by_scope_and_inclusive_range() {
    let t = TestDb::new().await;
    let day = |d| NaiveDate::from_ymd_opt(2025, 5, d).unwrap();
    for (d, wf) in [
        (1, None),
        (2, None),
        (2, Some("wf-1")),
        (3, Some("wf-2")),
        (4, None),
    ] {
        let mut s = sample("runs", f64::from(d), wf);
        s.date = Some(day(d));
        track_metric(&t.db, s).await.unwrap();
    }
    let key = |v: Vec<entity::flow::metrics::Model>| {
        v.into_iter()
            .map(|m| (m.date, m.workflow_id))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        key(get_metrics(&t.db, "runs", day(1), day(3), MetricScope::All)
            .await
            .unwrap()),
        [
            (day(1), None),
            (day(2), None),
            (day(2), Some("wf-1".to_owned())),
            (day(3), Some("wf-2".to_owned()))
        ]
    );
    assert_eq!(
        key(
            get_metrics(&t.db, "runs", day(1), day(4), MetricScope::Global)
                .await
                .unwrap()
        ),
        [(day(1), None), (day(2), None), (day(4), None)]
    );
    assert_eq!(
        key(get_metrics(
            &t.db,
            "runs",
            day(1),
            day(4),
            MetricScope::Workflow("wf-2".into())
        )
        .await
        .unwrap()),
        [(day(3), Some("wf-2".to_owned()))]
    );
    assert!(
        get_metrics(&t.db, "other", day(1), day(4), MetricScope::All)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        invalid_fields(get_metrics(&t.db, "runs", day(2), day(1), MetricScope::All).await),
        ["end_date"]
    );
}
