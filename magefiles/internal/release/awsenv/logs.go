package awsenv

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/equiptrack/release-kit/magefiles/pipeline"
)

type logsAPI interface {
	GetLogEvents(context.Context, *cloudwatchlogs.GetLogEventsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.GetLogEventsOutput, error)
	FilterLogEvents(context.Context, *cloudwatchlogs.FilterLogEventsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error)
}

// taskLogs reads a task container's last lines from its awslogs stream
// (<prefix>/<container>/<task id>); a failure to read them becomes one line,
// never the task's error.
func (e *Env) taskLogs(ctx context.Context, tdARN, container, taskARN string) []string {
	td, err := e.tds.get(ctx, tdARN)
	if err != nil {
		return []string{"(logs unavailable: " + err.Error() + ")"}
	}
	var group, prefix string
	for _, c := range td.ContainerDefinitions {
		if aws.ToString(c.Name) == container && c.LogConfiguration != nil {
			group, prefix = c.LogConfiguration.Options["awslogs-group"], c.LogConfiguration.Options["awslogs-stream-prefix"]
		}
	}
	if group == "" {
		return []string{"(logs unavailable: container " + container + " has no awslogs configuration)"}
	}
	stream := prefix + "/" + container + "/" + taskARN[strings.LastIndex(taskARN, "/")+1:]
	out, err := e.logs.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{
		LogGroupName: aws.String(group), LogStreamName: aws.String(stream), Limit: aws.Int32(int32(e.o.LogLines)),
	})
	if err != nil {
		return []string{fmt.Sprintf("(logs unavailable: %s %s: %v)", group, stream, err)}
	}
	var lines []string
	for _, ev := range out.Events {
		lines = append(lines, aws.ToString(ev.Message))
	}
	return lines
}

// LogLine is one event of a service's log group.
type LogLine struct {
	Time    time.Time `json:"time"`
	Stream  string    `json:"stream"`
	Message string    `json:"message"`
}

// Logs returns a service's (or the seeder's) log events since the given
// time, oldest first, following every page.
func (e *Env) Logs(ctx context.Context, service string, since time.Time) ([]LogLine, error) {
	sf, ok := e.Facts.image(service)
	if service == pipeline.StepMigrate && e.Facts.Migrate != nil {
		// The migration logs to its own task definition's group.
		sf, ok = e.Facts.Migrate.ServiceFacts, true
	}
	if !ok {
		return nil, fmt.Errorf("%s is not a service of %s (services: %s)", service, e.o.Env, strings.Join(e.Facts.ServiceNames(), ", "))
	}
	p := cloudwatchlogs.NewFilterLogEventsPaginator(e.logs, &cloudwatchlogs.FilterLogEventsInput{
		LogGroupName: aws.String(sf.LogGroup), StartTime: aws.Int64(since.UnixMilli()),
	})
	var out []LogLine
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading log group %s: %w", sf.LogGroup, err)
		}
		for _, ev := range page.Events {
			out = append(out, LogLine{Time: time.UnixMilli(aws.ToInt64(ev.Timestamp)).UTC(), Stream: aws.ToString(ev.LogStreamName), Message: aws.ToString(ev.Message)})
		}
	}
	return out, nil
}
